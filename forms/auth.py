"""Forms and thin WTForms adapters; the rules themselves live in program/."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from forms.fields import strip_text
from forms.validators import Checked
from program import passwords
from program.checks import unprintable


def _printable(text):
    return "含有不允许的字符" if unprintable(text, allow_line_breaks=False) else None


class LoginForm(FlaskForm):
    username = StringField("用户名", filters=[strip_text], validators=[
        InputRequired(message="请输入用户名"), Length(max=60, message="用户名最多 60 位"), Checked(_printable)])
    password = PasswordField("密码", validators=[
        InputRequired(message="请输入密码"), Length(max=200, message="密码最多 200 位")])


class LogoutForm(FlaskForm):
    pass


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("当前密码", validators=[
        InputRequired(message="请输入当前密码"), Length(max=200, message="密码最多 200 位")])
    new_password = PasswordField("新密码", validators=[
        InputRequired(message="请输入新密码"),
        Length(min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH,
               message=f"新密码为 {passwords.MIN_LENGTH} 至 {passwords.MAX_LENGTH} 位")],
        description=passwords.RULES)
    new_password_confirm = PasswordField("再次输入新密码", validators=[
        InputRequired(message="请再次输入新密码"), EqualTo("new_password", message="两次输入的新密码不一致")])
