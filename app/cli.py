"""`flask tollgate ...` commands: set up a deployment, seed a demo, run and reconcile settlement."""
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

tollgate_cli = AppGroup("tollgate", help="Set up and operate Tollgate.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(tollgate_cli)


@tollgate_cli.command("init")
@click.option("--username", default=None, help="First admin's username (TOLLGATE_ADMIN_USERNAME).")
@click.option("--email", default=None, help="First admin's email (TOLLGATE_ADMIN_EMAIL).")
@click.option("--password", default=None, help="First admin's password (TOLLGATE_ADMIN_PASSWORD); prompted when unset.")
def init_command(username, email, password):
    """Migrate the schema, sync roles and permissions, create the first admin."""
    from .setup import create_first_admin, migrate_schema, sync_roles

    migrate_schema()
    sync_roles()
    cfg = current_app.config
    username = username or cfg["ADMIN_USERNAME"]
    password = password or cfg.get("ADMIN_PASSWORD")
    if password is None:
        password = click.prompt(f"Password for admin {username!r}", hide_input=True, confirmation_prompt=True)
    created = create_first_admin(username, email or cfg["ADMIN_EMAIL"], password)
    click.echo(f"admin {username!r} {'created' if created else 'already exists'}")


@tollgate_cli.command("demo")
@click.option("--base-url", default=None, help="URL this Tollgate answers on (default TOLLGATE_PUBLIC_URL).")
@click.option("--upstream", default=None,
              help="Root URL of the mock upstream the demo providers call (python -m app.devtools.mock_upstream); "
                   "default <base-url>/_mock where the mock is mounted (development). Updates existing demo providers.")
def demo_command(base_url, upstream):
    """Seed a demo org with $100 of credits and print a key to call it with (earlier demo keys are revoked)."""
    from .seed import seed_demo

    base_url = (base_url or current_app.config["TOLLGATE_PUBLIC_URL"]).rstrip("/")
    if upstream is None:
        if not current_app.config.get("TOLLGATE_MOUNT_MOCK"):
            raise click.UsageError("this deployment does not serve the mock upstream under /_mock: pass --upstream URL "
                                   "of one (start it with: python -m app.devtools.mock_upstream --port 9100)")
        upstream = f"{base_url}/_mock"
    demo = seed_demo(upstream_root=upstream.rstrip("/"))
    click.echo(f"export TOLLGATE_API_KEY={demo.api_key}")
    click.echo(f"export TOLLGATE_BASE_URL={base_url}/v1")


@tollgate_cli.command("worker")
@click.option("--queues", default=None, help="Comma-separated queues (default: every configured queue).")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
def worker_command(queues, burst):
    """Run an RQ worker (with its scheduler) inside this app's context."""
    from rq import Worker

    from .serving import start_background_settlement

    names = queues.split(",") if queues else current_app.config["RQ_QUEUES"]
    if not current_app.config.get("GATEWAY_SYNC_SETTLE"):
        # Usage keeps flowing into the database even while no gateway process is up.
        start_background_settlement(current_app._get_current_object())
    connection = current_app.extensions["tollgate_redis"].client
    # Jobs run in a forked work horse; the app context pushed here is inherited by it.
    Worker(names, connection=connection).work(with_scheduler=True, burst=burst)


@tollgate_cli.command("settle")
def settle_command():
    """Write settled usage from Redis to the database until stopped; SIGTERM drains first.

    Gateway processes started with GATEWAY_RUN_FLUSHER=false leave this work to
    processes like this one (or to the RQ workers' flushers).
    """
    import signal
    import threading

    from .billing.settlement import Flusher

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    flusher = Flusher().start(current_app._get_current_object())
    click.echo("settling usage; stop with SIGTERM or Ctrl-C")
    while not stop.wait(1.0):
        pass
    left = flusher.stop(drain=True)
    _report_unbooked()
    if left is None:
        raise click.ClickException("usage queue NOT drained: Redis is unreachable, so what is left is unknown")
    if left:
        raise click.ClickException(f"usage queue NOT drained: {left} record(s) are still in Redis")
    click.echo("usage queue drained")


def _report_unbooked() -> int:
    """Print what is parked or unsettled (not charged); returns how many such records are open."""
    from .billing import reconcile
    from .billing.units import credits_to_usd

    try:
        totals = reconcile.summary()
    except Exception as exc:  # noqa: BLE001 - the report must still say it could not look
        click.echo(f"could not read parked usage records: {exc}", err=True)
        return 1
    open_count = totals["parked"]["count"] + totals["unsettled"]["count"]
    if open_count:
        cost = totals["parked"]["cost"] + totals["unsettled"]["cost"]
        click.echo(f"{totals['parked']['count']} usage record(s) could not be written and are parked, "
                   f"{totals['unsettled']['count']} could not be settled; {cost} credits "
                   f"(${credits_to_usd(cost)}) not charged yet: run `flask tollgate usage replay`", err=True)
    if totals["redis_dead"]:
        click.echo(f"{totals['redis_dead']} record(s) parked in Redis (tg:usage:dead): "
                   "`flask tollgate usage replay` moves them to the database", err=True)
        open_count += totals["redis_dead"]
    return open_count


@tollgate_cli.group("usage")
def usage_cli():
    """Book usage the settlement could not: parked or unsettled records."""


@usage_cli.command("replay")
def usage_replay_command():
    """Replay every open parked or unsettled record, each charged at most once; safe to repeat."""
    from .billing import reconcile

    result = reconcile.replay_all(limit=None)
    click.echo(f"replayed {result.replayed} record(s) ({result.cost} credits); "
               f"{result.adopted} adopted from tg:usage:dead")
    for request_id, reason in result.failed:
        click.echo(f"still open: {request_id}: {reason}", err=True)
    if result.failed:
        sys.exit(1)


@usage_cli.command("write-off")
@click.argument("request_id")
@click.option("--note", required=True, help="Why it is written off (kept with the record).")
def usage_write_off_command(request_id, note):
    """Give up on one open record: nothing is charged for it."""
    from .billing import reconcile

    if not reconcile.write_off(request_id, note):
        raise click.ClickException(f"no open parked or unsettled record has request id {request_id!r}")
    click.echo(f"{request_id} written off")


@usage_cli.command("status")
def usage_status_command():
    """Counts and credit totals of parked, unsettled, replayed, written-off and sweep-settled usage."""
    from .billing import reconcile

    for name, value in reconcile.summary().items():
        if isinstance(value, dict):
            click.echo(f"{name}: {value['count']} record(s), {value['cost']} credits")
        else:
            click.echo(f"{name}: {'unknown' if value is None else value} record(s)")
