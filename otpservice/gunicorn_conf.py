"""gunicorn settings for `make stack`: a dead worker's live gauges leave the shared metrics directory."""
from prometheus_client import multiprocess


def child_exit(server, worker):
    # Counters of a dead worker keep counting in the sum; its gauges must not (prometheus_client docs).
    multiprocess.mark_process_dead(worker.pid)
