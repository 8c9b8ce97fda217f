"""gunicorn settings of the web process: the one place for the worker class and counts.

Read by the Procfile's ``web:``, by ``make run`` and by ``make bench`` (``-c gunicorn.conf.py``),
so a change here is what the benchmark measures. The address stays on each command line
(``--bind``): the Procfile listens on ``0.0.0.0:$PORT``, ``make run`` on loopback.
"""

import os

# gthread: each worker process answers up to ``threads`` requests at once; SQL round trips
# release the GIL, so threads overlap their waits on PostgreSQL. Two threads, not four: the
# SMS park is CPU-bound in Python, and on 2 cores with 8 clients four threads per worker cost
# more CPU per park (GIL hand-offs: 21 ms against 17.5 ms with one thread, bench/cpu_sms.py)
# and answered 83-92 parks/s against 90-108 with two (make bench --only sms, README
# "Benchmarks").
worker_class = "gthread"
# WEB_CONCURRENCY is the platform's convention (Heroku sets it from the dyno size).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = 2

# /metrics adds up the request counters of every worker through prometheus-client's
# multiprocess mode: each worker writes its counters to files in this directory, which
# must be empty when the server starts (a fresh one per start unless the operator sets it).
# One made here is removed when the server exits.
_made_metrics_dir = ""
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    _made_metrics_dir = tempfile.mkdtemp(prefix="kanava-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _made_metrics_dir


def on_starting(server: object) -> None:
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def child_exit(server: object, worker: object) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def on_exit(server: object) -> None:
    if _made_metrics_dir:
        import shutil

        shutil.rmtree(_made_metrics_dir, ignore_errors=True)
