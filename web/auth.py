"""Login, logout and the password change (flask-login); every attempt is in
the audit trail.

A session ends when it should: its id carries the user's session generation
(models.User.get_id), which logging out, a new password and a disabled
account move on, so a copied cookie stops working on the server's side; and
it lapses after SESSION_IDLE_MINUTES without a request (Flask's signed
cookie is refused past PERMANENT_SESSION_LIFETIME, renewed by each request).
"""
import unicodedata
import urllib.parse

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import (
    LoginManager,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from werkzeug.security import check_password_hash, generate_password_hash

from forms.auth import ChangePasswordForm, LoginForm, LogoutForm
from models import User, db, now
from program import audit, passwords
from web import throttle

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"

# Checked against when the username is unknown, so that a wrong name and a
# wrong password take the same time. A constant (scrypt of a random string):
# hashing one at import cost every worker 140 ms and 32 MB at start-up.
_DUMMY_HASH = ("scrypt:32768:8:1$oe85QCj8s1h3Jtqz$fd38bdfa43430590aa1d242a1998180d21d56afd0153287404d4186"
               "ec134f007fbf7661c0f20d96b88d991365a4126b3cf839d8659898e84b7f6da6a573a94fb")

WRONG = "用户名或密码错误。"


@login_manager.user_loader
def load_user(session_id):
    user_id, _, generation = str(session_id).partition(":")
    if not (user_id.isascii() and user_id.isdigit() and generation.isascii() and generation.isdigit()):
        return None
    user = User.get_or_none(User.id == int(user_id)) if len(user_id) < 11 else None
    if user is None or str(user.session_generation) != generation:
        return None  # logged out, or the password changed, since this cookie was signed
    # A disabled account is logged out at its next request.
    return user if user.is_active else None


def end_sessions(user_id):
    """Every session of this user stops working at its next request."""
    User.update(session_generation=User.session_generation + 1).where(User.id == user_id).execute()


def safe_next(target):
    """Only a path on this site: never an open redirect. Browsers drop tabs
    and line breaks from a URL ("/\t/evil.example" is "//evil.example"),
    so any control or space character refuses the target outright."""
    target = target or ""
    # Checked as given and once decoded: "/%09/evil.example" is a tab too.
    if all(_on_this_site(form) for form in (target, urllib.parse.unquote(target))):
        return target
    return url_for("admin.index")


def _on_this_site(target):
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(unicodedata.category(ch)[0] in "CZ" for ch in target):
        return False
    parts = urllib.parse.urlsplit(target)
    return not parts.scheme and not parts.netloc


def _start_session(user):
    """A fresh session: nothing carried over from before the login, and a
    new CSRF token (flask-wtf makes one on the next form)."""
    session.clear()
    g.pop("csrf_token", None)
    login_user(user)
    session.permanent = True  # lapses after SESSION_IDLE_MINUTES without a request


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if request.method == "POST":
        limiter = throttle.current()
        wait = limiter.address_blocked_for(request.remote_addr)
        if wait:
            minutes = -(-wait // 60)
            page = render_template("error.html", code=429, title="尝试过于频繁",
                                   text=f"此网络地址登录失败次数过多，请 {minutes} 分钟后再试。")
            return page, 429, {"Retry-After": str(wait)}
        if form.validate_on_submit():
            return _attempt(form, limiter)
    return render_template("login.html", form=form)


def _attempt(form, limiter):
    username = form.username.data.strip()
    until = limiter.locked_until(username)
    if until is not None:
        limiter.refused_while_locked(request.remote_addr)
        audit.record(None, "login_refused", "user", None, username=username, extra={"reason": "locked"})
        flash(locked_message(until), "error")
        return render_template("login.html", form=form)
    user = User.get_or_none(User.username == username)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, form.password.data)
    if user is not None and valid and user.is_active:
        limiter.succeeded(username)
        with db.atomic():
            User.update(last_login_at=now()).where(User.id == user.id).execute()
            audit.record(user, "login", "user", user.id)
        _start_session(User.get_by_id(user.id))
        return redirect(safe_next(request.args.get("next")))
    # A disabled account with the right password reads exactly like a wrong
    # password; the trail keeps the difference.
    if user is not None and valid:
        audit.record(user, "login_refused", "user", user.id, extra={"reason": "disabled"})
    else:
        audit.record(None, "login_failed", "user", user.id if user else None, username=username)
    if limiter.failed(username, request.remote_addr):
        audit.record(None, "login_locked", "user", user.id if user else None, username=username)
        flash(WRONG + locked_message(limiter.locked_until(username)), "error")
    else:
        flash(WRONG, "error")
    return render_template("login.html", form=form)


def locked_message(until):
    when = f"请于 {until:%H:%M} 后再试" if until else "请稍后再试"
    return f"该账号因连续登录失败已被暂时锁定，{when}，或请系统管理员解除锁定。"


# Where a user who must change the password may still go.
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static", "admin.static"}


@bp.before_app_request
def require_password_change():
    """Q4: an account opened with a one-time password changes it first."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in OPEN_WHILE_CHANGING):
        flash("首次登录请先修改初始密码。", "warning")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/change-password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    user = User.get_by_id(current_user.id)
    limiter = throttle.current()
    if request.method == "POST" and form.validate_on_submit():
        until = limiter.locked_until(user.username)
        if until is not None:
            form.current_password.errors.append(locked_message(until))
        elif not check_password_hash(user.password_hash, form.current_password.data):
            # Guessing the current password from an unattended session is
            # throttled like guessing it at the login page.
            limiter.failed(user.username, request.remote_addr)
            audit.record(user, "change_password_failed", "user", user.id)
            form.current_password.errors.append("当前密码不正确")
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append("新密码不能与当前密码相同")
        else:
            found = passwords.problems(form.new_password.data, user.username, user.display_name)
            if found:
                form.new_password.errors.extend(found)
            else:
                _set_password(user, form.new_password.data)
                flash("密码已修改；此账号在其他浏览器上的登录已失效。", "success")
                return redirect(url_for("admin.index"))
    return render_template("change_password.html", form=form)


def _set_password(user, password):
    with db.atomic():
        User.update(
            password_hash=generate_password_hash(password),
            must_change_password=False,
            session_generation=User.session_generation + 1,
            version=User.version + 1,
        ).where(User.id == user.id).execute()
        audit.record(user, "change_password", "user", user.id)
    # The other sessions end; this one goes on under the new generation.
    _start_session(User.get_by_id(user.id))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            user = current_user._get_current_object()
            with db.atomic():
                end_sessions(user.id)
                audit.record(user, "logout", "user", user.id)
        logout_user()
        session.clear()
        flash("您已退出登录。", "success")
        return redirect(url_for("auth.login"))
    # A GET only asks: logging out is a POST with its CSRF token.
    return render_template("logout.html", form=form)
