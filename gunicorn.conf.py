"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working
directory (or name it with `-c`). Command-line flags and GUNICORN_CMD_ARGS override it.

The app's own settings (SECRET_KEY, DATABASE_URL, …) are environment variables too; see the
README. The ones read here are gunicorn's: PORT, WEB_CONCURRENCY, FORWARDED_ALLOW_IPS, and
the app's LOG_LEVEL and LOG_FORMAT for gunicorn's own lines.
"""

import multiprocessing
import os

from intake.logs import logging_config

# Loopback only: the TLS reverse proxy on this machine is the only client. (gunicorn's own
# default with PORT set would listen on every interface.)
bind = [f"127.0.0.1:{os.environ.get('PORT', '8000')}"]

# Sync workers: each request is short (a few database queries, a template) and never waits
# for the mail server, so one request per process is simplest and steadiest. The proxy
# buffers slow clients, which sync workers must not be exposed to directly.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)

# A request taking 30 s is stuck: the worker is killed and replaced. On SIGTERM (a deploy),
# workers get as long again to finish the requests they have.
timeout = 30
graceful_timeout = 30

# The app is loaded once, in the master, and each worker is a fork of it: a worker starts in
# milliseconds instead of re-importing everything (about 1.5 s of CPU each), and the workers
# share the loaded code's memory. Nothing connects to the database while the app is created;
# post_fork below makes sure a worker never uses a connection inherited from the master.
# Because the code is loaded once, a new release or new settings need a restart (as in the
# README's "Upgrading"), not a reload (HUP).
preload_app = True

# No recycling of workers after N requests: the app does not leak (bench/soak.py: worker RSS
# flat over 10 minutes of journeys), and a recycled worker serves nothing until it is replaced,
# which under load showed as p99 latencies of seconds. max_requests = 0 is gunicorn's default,
# set here to say it is meant.
max_requests = 0

# Whose X-Forwarded-Proto to believe (the proxy's address). The app also needs PROXY_FIX=1
# to take the patient's address from X-Forwarded-For for rate limits and the audit log.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Errors to stderr (journald or the container log). No access log: URLs of the staff
# requests search carry what was searched for (a name or an email address); the proxy
# can log requests without query strings (README, "Deploying").
errorlog = "-"
loglevel = "info"
accesslog = None
# gunicorn's own lines in the app's format (timestamp, level, logger, request id; LOG_LEVEL and
# LOG_FORMAT as in the README), so the whole stream reads one way, as text or as JSON lines.
logconfig_dict = logging_config(
    os.environ.get("LOG_LEVEL") or "INFO", os.environ.get("LOG_FORMAT") or "text", gunicorn=True
)

# gunicorn 23+ opens a control socket (~/.gunicorn/gunicorn.ctl) that a second instance
# on the machine silently takes over; nothing here uses it. Older versions ignore this.
control_socket_disable = True


# Rate limits hold only when every worker counts in one place. With memory:// and several
# workers each would allow the whole limit, so the server refuses to start and says what to
# set (README, "Several app servers"). Settings come from the environment and .env, as in wsgi.py.
def _unshared_limits(workers):
    from dotenv import load_dotenv

    from intake.config import load_config
    from intake.hardening import unshared_limits_problem

    load_dotenv()
    return unshared_limits_problem(workers, load_config("")["RATELIMIT_STORAGE_URI"])


def on_starting(server):
    """Before any worker starts: refuse when each worker would count the limits on its own."""
    problem = _unshared_limits(server.num_workers)
    if problem:
        raise RuntimeError("Refusing to start. " + problem)  # gunicorn prints it, exits 1


def post_fork(server, worker):
    """In each new worker: forget database connections inherited from the master (there
    should be none), so two processes never talk over one socket."""
    app = server.app.callable  # the preloaded app; None without preload_app
    if app is None:
        return
    from intake.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def nworkers_changed(server, new_value, old_value):
    """Workers added while running (SIGTTIN) cannot be refused; say so loudly instead."""
    problem = old_value is not None and _unshared_limits(new_value)
    if problem:
        server.log.error(problem)
