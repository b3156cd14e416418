"""Prometheus multiprocess mode under gunicorn: where workers keep their values, and what a dead worker leaves.

Each gunicorn worker writes its counters and histograms to ``<kind>_<pid>.db`` files in
PROMETHEUS_MULTIPROC_DIR, and a scrape adds every file up. The gunicorn hooks
(app/gunicorn_conf.py) call in here, in the master:
- ``prepare`` at start: use PROMETHEUS_MULTIPROC_DIR, emptied of a previous run's files
  (they would be added to this run's), or a fresh temporary directory when it is unset.
  The variable must be set before a worker imports prometheus_client, which picks the
  mode once.
- ``worker_exited``: a dead worker's totals are folded into ``<kind>_archive.db`` and its
  own files removed, so the directory does not grow with every worker restart while
  counters never go backwards.
- ``finish`` at the master's exit: a temporary directory it made is removed.
"""
import glob
import os
import shutil
import tempfile

ENV = "PROMETHEUS_MULTIPROC_DIR"
_FOLDED = ("counter", "histogram")


_made: str | None = None  # the directory ``prepare`` created, removed again by ``finish``


def prepare(environ=os.environ) -> str:
    global _made
    path = environ.get(ENV)
    if not path:
        path = _made = environ[ENV] = tempfile.mkdtemp(prefix="tollgate-metrics-")
        return path
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)
    return path


def finish() -> None:
    """At the master's exit: remove the directory ``prepare`` made (one the operator named is left)."""
    if _made:
        shutil.rmtree(_made, ignore_errors=True)


def worker_exited(pid: int, path: str | None = None) -> None:
    from prometheus_client import multiprocess
    from prometheus_client.mmap_dict import MmapedDict

    path = path or os.environ.get(ENV)
    if not path:
        return
    multiprocess.mark_process_dead(pid, path)  # live gauges, should any appear
    for kind in _FOLDED:
        dead = os.path.join(path, f"{kind}_{pid}.db")
        if not os.path.exists(dead):
            continue
        archive = MmapedDict(os.path.join(path, f"{kind}_archive.db"))
        try:
            for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(dead):
                archive.write_value(key, archive.read_value(key)[0] + value, timestamp)
        finally:
            archive.close()
        os.remove(dead)
