"""gunicorn settings of the web process: the one place for the worker class and counts.

Read by the Procfile's ``web:``, by ``make run`` and by ``make bench`` (``-c gunicorn.conf.py``),
so a change here is what the benchmark measures. The address stays on each command line
(``--bind``): the Procfile listens on ``0.0.0.0:$PORT``, ``make run`` on loopback.
"""

import os

# gthread: each worker process answers up to ``threads`` requests at once; SQL round trips
# release the GIL, so threads overlap their waits on PostgreSQL.
worker_class = "gthread"
# WEB_CONCURRENCY is the platform's convention (Heroku sets it from the dyno size).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = 4
