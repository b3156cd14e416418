"""The embedded default (SQLite) enforces foreign keys, in the web and the gateway app, so financial records refuse
a raw delete there too."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in its own process: a second app in this one would rebind Flask-AppBuilder's singleton.
SCRIPT = """
import json, sys
import sqlalchemy as sa
from config import DevelopmentConfig
from app import create_app

class Config(DevelopmentConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite:///" + sys.argv[1]

app = create_app(Config)
with app.app_context():
    from app.accounts import create_org, create_user
    from app.billing import money
    from app.extensions import db
    from app.models import TxType
    from app.seed import ensure_plans
    from app.setup import migrate_schema

    migrate_schema()
    ensure_plans()
    org = create_org("Lite Org")
    user = create_user("lite", "lite@example.test", "pw-123456")
    money.post(db.session, money.Posting(org.wallet.id, 5_000_000, TxType.admin_credit))
    db.session.commit()
    result = {"foreign_keys": db.session.execute(sa.text("PRAGMA foreign_keys")).scalar()}
    for name, sql in (("wallet", f"DELETE FROM wallets WHERE id = {org.wallet.id}"),
                      ("user", f"DELETE FROM ab_user WHERE id = {user.id}")):
        try:
            db.session.execute(sa.text(sql))
            db.session.commit()
            result[name] = "deleted"
        except sa.exc.IntegrityError:
            db.session.rollback()
            result[name] = "refused"
    result["ledger_rows"] = db.session.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar()
import os
os.environ.update(TOLLGATE_ENV="development", DATABASE_URL=Config.SQLALCHEMY_DATABASE_URI)
from app.gateway.wsgi import application  # a gateway process on the same file keeps the rules too
with application.app_context():
    result["gateway_foreign_keys"] = db.session.execute(sa.text("PRAGMA foreign_keys")).scalar()
print("RESULT " + json.dumps(result))
"""


def test_sqlite_app_runs_with_foreign_keys_on_and_refuses_deleting_a_wallet_or_user(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TOLLGATE_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "RATELIMIT_"))}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "tollgate.db")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert result == {"foreign_keys": 1, "wallet": "refused", "user": "refused", "ledger_rows": 1,
                      "gateway_foreign_keys": 1}
