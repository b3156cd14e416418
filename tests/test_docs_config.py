"""README's configuration table names the settings Tollgate really reads, and every one an operator may set.

A renamed or misspelt variable in the table is a setting users set without effect; one the code
reads but the table leaves out is one they cannot find. Both fail here.
"""
import re

from tests.test_startup import ROOT

# Read by the code but not meant for operators: the test suite's own URLs.
NOT_FOR_OPERATORS = {"TEST_DATABASE_URL", "TEST_REDIS_URL"}
# Where settings are read from the environment outside config.py.
READERS = ["config.py", "app/gunicorn_conf.py", "app/gunicorn_gateway_conf.py", "app/telemetry/multiproc.py"]
_READ = re.compile(r"""(?:env_(?:str|int|float|bool|list)|environ\.get|getenv)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")


def read_by_code() -> set[str]:
    names = set()
    for path in READERS:
        names |= set(_READ.findall((ROOT / path).read_text()))
    names.add("PROMETHEUS_MULTIPROC_DIR")  # app/telemetry/multiproc.py reads it through its ENV constant
    return names - NOT_FOR_OPERATORS


def named_in_readme() -> set[str]:
    """Variables in the first column of README's configuration table (`A` / `_B` shorthands expanded)."""
    text = (ROOT / "README.md").read_text()
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split("|")[1]
        previous = None
        for token in re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", first):
            if token.startswith("_") and previous:  # `TOLLGATE_ADMIN_USERNAME` / `_EMAIL`
                token = previous.rsplit("_", 1)[0] + token
            names.add(token)
            previous = token
    return names


def test_every_setting_in_the_readme_table_is_read_by_the_code():
    assert named_in_readme() - read_by_code() == set()


def test_every_setting_the_code_reads_is_in_the_readme_table():
    assert read_by_code() - named_in_readme() == set()
