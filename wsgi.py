"""The one module-level app, for `flask --app wsgi` and gunicorn."""

from dotenv import load_dotenv

from intake import create_app

load_dotenv()
app = create_app()
