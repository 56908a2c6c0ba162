from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired(message="请输入用户名"), Length(max=60)])
    password = PasswordField("密码", validators=[InputRequired(message="请输入密码"), Length(max=200)])


class LogoutForm(FlaskForm):
    pass
