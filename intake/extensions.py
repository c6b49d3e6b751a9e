"""Flask extensions, created unbound and initialised in the application factory."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of every model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
mail = Mail()
login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Log in to see that page."
login_manager.session_protection = "strong"
#: storage comes from RATELIMIT_STORAGE_URI (memory:// by default, redis:// for several servers)
limiter = Limiter(key_func=get_remote_address, default_limits=[])
