"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working
directory (or name it with `-c`). Command-line flags and GUNICORN_CMD_ARGS override it.

The app's own settings (SECRET_KEY, DATABASE_URL, …) are environment variables too; see the
README. The ones read here are gunicorn's: PORT, WEB_CONCURRENCY, FORWARDED_ALLOW_IPS.
"""

import multiprocessing
import os

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

# Restart each worker after about 1000 requests, at different times, so slow memory growth
# in any library never builds up.
max_requests = 1000
max_requests_jitter = 100

# Whose X-Forwarded-Proto to believe (the proxy's address). The app also needs PROXY_FIX=1
# to take the patient's address from X-Forwarded-For for rate limits and the audit log.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Errors to stderr (journald or the container log). No access log: URLs of the staff
# requests search carry what was searched for (a name or an email address); the proxy
# can log requests without query strings (README, "Deploying").
errorlog = "-"
loglevel = "info"
accesslog = None

# gunicorn 23+ opens a control socket (~/.gunicorn/gunicorn.ctl) that a second instance
# on the machine silently takes over; nothing here uses it. Older versions ignore this.
control_socket_disable = True
