"""The public directory (DOMAIN.md §6, issue 13 item 5): no login, read
only, in Chinese, for enterprises choosing where to use their vouchers.

- /directory/labs: the 开放实验室目录 (approved labs of a recognised kind,
  Q7), searchable by name, filtered by category and field;
- /directory/products: the 新技术新产品 within their validity today (Q2);
- /directory/recommending: the active recommending institutions with their
  服务特色 and public contact.

Only what is meant to be public: no internal ids, no drafts or refused
records, and of a contact only an e-mail address and an office (landline)
number; a mobile number is a person's and is never shown. Answers are
cacheable (ETag from the tables' change counters, `Cache-Control: public`),
and the directory has its own rate limit per client address
(DIRECTORY_RATE_LIMIT), apart from the back office's.
"""
import datetime
import hashlib
import re

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from limits import parse, storage, strategies
from peewee import JOIN

from admin import listing
from models import (
    CAPABILITIES,
    DOMAIN_FIELDS,
    LAB_CATEGORIES,
    DomainCenterMember,
    Lab,
    NewTechProduct,
    RecommendingInstitution,
    ServiceInstitution,
    parse_id,
)
from program import search, tallies

bp = Blueprint("directory", __name__, url_prefix="/directory")
PAGE_SIZE = 50
MOBILE = re.compile(r"^\+?(86)?-?1\d{10}$")


def public_phone(phone):
    """An office number, or nothing: a mobile number is a person's."""
    digits = (phone or "").replace(" ", "")
    return "" if not digits or MOBILE.match(digits) else phone


class Limiter:
    def __init__(self, config):
        self.window = strategies.MovingWindowRateLimiter(storage.storage_from_string(config["RATELIMIT_STORAGE_URI"]))
        self.rate = parse(config.get("DIRECTORY_RATE_LIMIT", "120 per minute"))

    def allow(self, address):
        try:
            return self.window.hit(self.rate, "directory", address or "-")
        except Exception:  # the store does not answer: the directory stays open
            return True


@bp.before_request
def _limit():
    if not current_app.extensions["directory_limiter"].allow(request.remote_addr):
        return render_template("error.html", code=429, title="访问过于频繁", text="访问过于频繁，请稍后再试。"), 429
    return None


def _page():
    page = parse_id(request.args.get("page"))
    return page if page is not None and page < 10_000 else 0


def _word():
    return search.clean_term(request.args.get("q"))[:40]


def _cached_page(tables, template, **context):
    """The page, with an ETag that changes when one of `tables` does: a
    browser or a proxy asks again cheaply (304) until then."""
    counts = tallies.read()
    version = [counts.get(f"rows:{t}", {}).get("*", (0, 0, 0)) for t in tables]
    tag = hashlib.sha256(f"{version}|{request.full_path}|{datetime.date.today()}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(tag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.make_response(render_template(template, **context))
    response.set_etag(tag)
    # A signed-in visitor's response carries their session cookie: never a
    # shared cache's.
    signed_in = request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session"))
    response.headers["Cache-Control"] = "private, max-age=300" if signed_in else "public, max-age=300"
    return response


def _pager(page, total, endpoint, **args):
    return listing.pager(page, total, PAGE_SIZE, False, lambda p: url_for(endpoint, page=p or None, **args))


@bp.route("/labs")
def labs():
    word, category, field = _word(), request.args.get("category"), request.args.get("field")
    query = (Lab.select(Lab, ServiceInstitution, DomainCenterMember)
             .join(ServiceInstitution, on=(Lab.service_institution == ServiceInstitution.id))
             .switch(Lab)
             .join(DomainCenterMember, JOIN.LEFT_OUTER, on=(Lab.member_unit == DomainCenterMember.id))
             .where(Lab.directory_condition(),
                    # Reported by an institution that still stands (退回修改 may reopen it).
                    ServiceInstitution.status == "approved",
                    DomainCenterMember.id.is_null() | (DomainCenterMember.status == "approved")))
    if word:
        query = query.where(Lab.name.contains(word))
    if category in LAB_CATEGORIES and category != "other":
        query = query.where(Lab.category == category)
    if field in DOMAIN_FIELDS:
        query = query.where((DomainCenterMember.field == field)
                            | (ServiceInstitution.is_domain_center & (ServiceInstitution.domain == field)))
    page, total = _page(), query.count()
    rows = list(query.order_by(Lab.name).limit(PAGE_SIZE).offset(page * PAGE_SIZE))
    return _cached_page(("lab", "service_institution", "domain_center_member"), "directory/labs.html",
                        rows=rows, total=total, word=word, category=category, field=field,
                        categories=[c for c in LAB_CATEGORIES if c[0] != "other"], fields=DOMAIN_FIELDS,
                        capabilities=CAPABILITIES, phone=public_phone,
                        pager=_pager(page, total, ".labs", q=word or None, category=category, field=field))


@bp.route("/products")
def products():
    word, today = _word(), datetime.date.today()
    query = NewTechProduct.select().where(NewTechProduct.valid_from <= today, NewTechProduct.valid_to >= today)
    if word:
        query = query.where(NewTechProduct.name.contains(word) | NewTechProduct.supplier.contains(word))
    page, total = _page(), query.count()
    rows = list(query.order_by(NewTechProduct.name, NewTechProduct.catalogue_ref)
                .limit(PAGE_SIZE).offset(page * PAGE_SIZE))
    return _cached_page(("new_tech_product",), "directory/products.html", rows=rows, total=total, word=word,
                        today=today, pager=_pager(page, total, ".products", q=word or None))


@bp.route("/recommending")
def recommending():
    word = _word()
    query = RecommendingInstitution.active()
    if word:
        query = query.where(RecommendingInstitution.name.contains(word)
                            | RecommendingInstitution.service_features.contains(word))
    page, total = _page(), query.count()
    rows = list(query.order_by(RecommendingInstitution.name).limit(PAGE_SIZE).offset(page * PAGE_SIZE))
    return _cached_page(("recommending_institution",), "directory/recommending.html", rows=rows, total=total,
                        word=word, phone=public_phone, pager=_pager(page, total, ".recommending", q=word or None))


@bp.route("/")
def index():
    return redirect(url_for(".labs"))


def init_app(app):
    app.config.setdefault("DIRECTORY_RATE_LIMIT", "120 per minute")
    app.extensions["directory_limiter"] = Limiter(app.config)
    app.register_blueprint(bp)
