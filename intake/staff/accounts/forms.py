"""Forms of the staff accounts: logging in, changing one's password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from intake.forms import strip


class LoginForm(FlaskForm):
    """Staff login."""

    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254)],
        filters=[strip],
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password"), Length(max=256)]
    )


class ChangePasswordForm(FlaskForm):
    """A staff member changes their own password."""

    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password")]
    )
    new_password = PasswordField(
        "New password",
        description="At least 12 characters. A few unrelated words make a strong password.",
        validators=[
            InputRequired("Enter a new password"),
            Length(min=12, max=256, message="Use 12 to 256 characters"),
        ],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        validators=[
            InputRequired("Enter the new password again"),
            EqualTo("new_password", message="The passwords do not match"),
        ],
    )
