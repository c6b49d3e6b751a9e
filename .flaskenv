# Read by every `flask` command run in this folder (python-dotenv): which app to load.
# Settings never go here; they come from the environment (or a git-ignored .env).
FLASK_APP=wsgi
