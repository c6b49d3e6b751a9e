"""Staff accounts pages: log in, log out, change password, accounts and the audit log."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from intake.extensions import db, limiter
from intake.forms import wtf_field
from intake.staff.accounts import access, auth
from intake.staff.accounts.forms import ChangePasswordForm, LoginForm
from intake.staff.blueprint import bp
from intake.web import form_page, page_number


def _login_key() -> str:
    """Per-account key for the login limit: the email as typed."""
    return "login:" + auth.normalise_email(request.form.get("email", ""))[:254]


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_key)
def login():
    """Log in with email and password (throttled per address and per account)."""
    form = LoginForm()
    if form.validate_on_submit():
        user = access.log_in(form.email.data, form.password.data)
        db.session.commit()
        if user is not None:
            return redirect(access.safe_next(request.args.get("next")) or url_for(".dashboard"))
        form.password.errors = ["The email address or password is not right"]
    fields = [wtf_field(form.email), wtf_field(form.password)]
    return form_page("staff/accounts/login.html", [f for f in fields if f.error], fields=fields)


@bp.post("/logout")
def logout():
    """Log out."""
    access.log_out()
    db.session.commit()
    return redirect(url_for(".login"))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """Change your own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            access.change_own_password(form.current_password.data, form.new_password.data)
        except auth.AccountError as error:
            form.current_password.errors = [str(error)]
        else:
            db.session.commit()
            flash("Your password has been changed.")
            return redirect(url_for(".dashboard"))
    fields = [
        wtf_field(form[name]) for name in ("current_password", "new_password", "confirm_password")
    ]
    return form_page("staff/accounts/password.html", [f for f in fields if f.error], fields=fields)


@bp.get("/audit")
@access.admin_required
def audit_log():
    """The audit log (admin only), newest first."""
    page = page_number()
    return render_template("staff/accounts/audit.html", events=auth.audit_page(page), page=page)


@bp.get("/users")
@access.admin_required
def list_users():
    """Staff accounts (admin only)."""
    return render_template("staff/accounts/users.html", users=auth.users())


@bp.post("/users/<int:user_id>/deactivate")
@access.admin_required
def deactivate_user(user_id: int):
    """Deactivate an account (admin only); you cannot deactivate yourself."""
    user = db.get_or_404(auth.User, user_id)
    try:
        if auth.deactivate(user, by=current_user):
            db.session.commit()
            flash(f"{user.email} can no longer log in.")
    except auth.AccountError as error:
        flash(str(error))
    return redirect(url_for(".list_users"))
