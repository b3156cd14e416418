"""Run Tollgate in one command.

With no environment this is the embedded default: SQLite under instance/, an in-process
Redis stand-in and rate-limit store, jobs run inline, and the bundled mock upstream under
/_mock so the demo key can make a real call offline. With DATABASE_URL / REDIS_URL set it
runs on PostgreSQL and Redis. Production runs under gunicorn instead (see README).
"""
import argparse
import ipaddress
import sys

from config import ConfigError, INSTANCE_DIR, config_from_env


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run Tollgate (embedded default unless DATABASE_URL is set).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    INSTANCE_DIR.mkdir(exist_ok=True)

    from app import create_app
    from app.setup import prepare_embedded

    try:
        app = create_app(config_from_env(default="development"))
        with app.app_context():
            base_url = f"http://{args.host}:{args.port}"
            info = prepare_embedded(base_url)
    except ConfigError as exc:
        print(f"tollgate: configuration error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback at start
        from app.setup import describe_startup_error

        print(f"tollgate: cannot start: {describe_startup_error(exc)}", file=sys.stderr)
        return 2

    if app.config["ENV_NAME"] == "development" and not is_loopback(args.host):
        print(f"tollgate: warning: development mode on {args.host} serves the dev credentials "
              f"({info['admin_user']}/{info['admin_password']}, a dev SECRET_KEY) and the mock upstream's "
              "control endpoints to anyone who can reach it; use TOLLGATE_ENV=production under gunicorn "
              "(see README) for a shared host", file=sys.stderr)
    print(f"Tollgate is running at {base_url}")
    print(f"  back office: {base_url}/admin/   (user {info['admin_user']!r}, password {info['admin_password']!r})")
    print(f"  demo API key: {info['api_key']}")
    print(f"  try: curl {base_url}/v1/chat/completions -H 'Authorization: Bearer {info['api_key']}' "
          "-H 'Content-Type: application/json' -d '{\"model\": \"gpt-5-4\", \"messages\": "
          "[{\"role\": \"user\", \"content\": \"Hello\"}]}'")
    sys.stdout.flush()
    from app.jobs.periodic import run_in_thread

    run_in_thread(app)  # no cron scheduler here: rollups and alerts run in this process
    serve(app, args.host, args.port)
    return 0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def serve(app, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    sys.exit(main())
