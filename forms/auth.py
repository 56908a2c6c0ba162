from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired(message="请输入用户名"), Length(max=60)])
    password = PasswordField("密码", validators=[InputRequired(message="请输入密码"), Length(max=200)])


class LogoutForm(FlaskForm):
    pass


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("当前密码", validators=[InputRequired(message="请输入当前密码")])
    new_password = PasswordField("新密码", validators=[
        InputRequired(message="请输入新密码"), Length(min=8, max=200, message="新密码至少 8 位")])
    new_password_confirm = PasswordField("再次输入新密码", validators=[
        InputRequired(message="请再次输入新密码"), EqualTo("new_password", message="两次输入的新密码不一致")])
