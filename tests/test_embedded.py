"""What a newcomer runs first: the tests marked ``embedded`` pass on SQLite and the in-process Redis.

``python run.py`` serves the back office and the gateway from a SQLite file and an in-process
Redis stand-in; the rest of the suite runs on PostgreSQL and Redis. Its own pytest process
builds that app, because the extension singletons bind one app per process.
"""
import subprocess
import sys

import pytest

from tests.test_startup import ROOT


def test_marked_tests_pass_on_sqlite_and_the_in_process_redis(request):
    if request.config.getoption("--embedded"):
        pytest.skip("already running on the embedded default")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--embedded", "tests/"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.strip().splitlines()[-1]
