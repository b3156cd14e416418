"""Deployment set-up steps shared by `flask tollgate init` and the embedded default."""
from flask import current_app
from flask_migrate import upgrade

from .extensions import appbuilder, db


def migrate_schema() -> None:
    upgrade(directory=current_app.config.get("MIGRATIONS_DIR") or _migrations_dir())


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(current_app.root_path), "migrations")


def sync_roles() -> None:
    """Create the built-in roles, then every view's permissions (FAB grants each to Admin)."""
    appbuilder.sm.sync_builtin_roles()
    db.session.commit()
    appbuilder.add_permissions(update_perms=True)
    db.session.commit()


def create_first_admin(username: str, email: str, password: str) -> bool:
    sm = appbuilder.sm
    if sm.find_user(username=username):
        return False
    role = sm.find_role(current_app.config["AUTH_ROLE_ADMIN"])
    user = sm.add_user(username, "Tollgate", "Admin", email, role, password)
    if not user:
        raise RuntimeError(f"could not create admin {username!r}: see the log")
    db.session.commit()
    return True


def prepare_embedded(base_url: str) -> dict:
    """Schema, roles, admin and demo data for `python run.py`; safe to run on every start."""
    from .seed import seed_demo

    migrate_schema()
    sync_roles()
    cfg = current_app.config
    create_first_admin(cfg["ADMIN_USERNAME"], cfg["ADMIN_EMAIL"], cfg["ADMIN_PASSWORD"])
    demo = seed_demo(upstream_root=f"{base_url}/_mock")
    if cfg.get("TOLLGATE_MOUNT_STRIPE_STANDIN"):
        from . import mount_stripe_standin

        mount_stripe_standin(current_app._get_current_object(), base_url)
    return {"admin_user": cfg["ADMIN_USERNAME"], "admin_password": cfg["ADMIN_PASSWORD"], "api_key": demo.api_key}


def describe_startup_error(exc: Exception) -> str:
    """Name the setting behind the usual start-up failures."""
    from sqlalchemy.exc import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    if isinstance(exc, OperationalError):
        return f"cannot reach the database at DATABASE_URL ({_first_line(exc.orig)})"
    if isinstance(exc, RedisConnectionError):
        return f"cannot reach Redis at REDIS_URL ({_first_line(exc)})"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
