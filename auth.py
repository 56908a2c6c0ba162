"""Login and logout (flask-login); every attempt is in the audit trail."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

import audit
from forms.auth import ChangePasswordForm, LoginForm, LogoutForm
from models import User, now

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"

# Password guessing is slowed per client address. The store is per process
# (memory://); behind several workers, or to share it, set RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")

# Checked against when the username is unknown, so that a wrong name and a
# wrong password take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password")


@login_manager.user_loader
def load_user(user_id):
    try:
        user = User.get_or_none(User.id == int(user_id))
    except (TypeError, ValueError):
        return None
    # A disabled account is logged out at its next request.
    return user if user is not None and user.is_active else None


def safe_next(target):
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = User.get_or_none(User.username == username)
        valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if user is not None and valid and user.is_active:
            login_user(user)
            User.update(last_login_at=now()).where(User.id == user.id).execute()
            audit.record(user, "login", "user", user.id)
            return redirect(safe_next(request.args.get("next")))
        if user is not None and valid:
            message = "该账号已停用，请联系系统管理员。"
            audit.record(user, "login_refused", "user", user.id, extra={"reason": "disabled"})
        else:
            message = "用户名或密码错误。"
            audit.record(None, "login_failed", "user", user.id if user else None, username=username[:60])
        flash(message, "error")
    return render_template("login.html", form=form)


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
    if form.validate_on_submit():
        user = User.get_by_id(current_user.id)
        if not check_password_hash(user.password_hash, form.current_password.data):
            form.current_password.errors.append("当前密码不正确")
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append("新密码不能与当前密码相同")
        else:
            User.update(
                password_hash=generate_password_hash(form.new_password.data),
                must_change_password=False,
                version=User.version + 1,
            ).where(User.id == user.id).execute()
            audit.record(user, "change_password", "user", user.id)
            flash("密码已修改。", "success")
            return redirect(url_for("admin.index"))
    return render_template("change_password.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            audit.record(current_user._get_current_object(), "logout", "user", current_user.id)
        logout_user()
        flash("您已退出登录。", "success")
        return redirect(url_for("auth.login"))
    # A GET only asks: logging out is a POST with its CSRF token.
    return render_template("logout.html", form=form)
