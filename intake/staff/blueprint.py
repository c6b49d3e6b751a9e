"""Blueprint "staff": the reception desk (requests), accounts and the dashboard.

Every route needs a logged-in staff member (checked once, in `before_request`); admin routes
also need the admin role. The view modules of `accounts`, `requests` and `dashboard` add
their routes to this blueprint; the factory imports them.
"""

from __future__ import annotations

from flask import Blueprint

from intake.staff.accounts.access import no_store, require_login

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(require_login)
bp.after_request(no_store)
