"""The embedded default's SQLite database, made to keep the promises PostgreSQL keeps.

Production runs on PostgreSQL; ``python run.py`` with no environment runs on a SQLite file.
Code that relies on something PostgreSQL enforces (a row lock, a foreign key, a refused
value) must meet the same rule on SQLite, or the embedded default hides what production does.
Nothing here touches a PostgreSQL engine.
"""
from sqlalchemy import event

# psycopg2's own words, so a reason recorded on SQLite reads as it does in production.
NUL_REFUSED = "A string literal cannot contain NUL (0x00) characters."


def configure_sqlite(engine) -> None:
    """Foreign keys on, ``FOR UPDATE`` as a write lock, text with a NUL refused.

    SQLite ignores foreign keys unless each connection turns them on, and it has no row
    locks: ``SELECT ... FOR UPDATE`` compiles to a plain SELECT. Every place that locks a
    row (money.py, refunds, webhooks, gifts...) relies on the lock to run check-then-write
    one at a time, so on SQLite such a SELECT first takes the database's write lock
    (``BEGIN IMMEDIATE``) until the transaction ends: coarser than a row lock, but the same
    promise. A transaction that already wrote holds that lock already.

    PostgreSQL cannot store a NUL in text and psycopg2 refuses it before sending; SQLite
    stores it. The settlement parks such a usage record and the reconciler makes its text
    storable (app.billing.parking); on SQLite the record went in as sent instead.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _foreign_keys_on(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "before_execute")
    def _write_lock_for_update(conn, clauseelement, _multiparams, _params, _options):
        if getattr(clauseelement, "_for_update_arg", None) is None:
            return
        dbapi_connection = conn.connection.dbapi_connection
        if not dbapi_connection.in_transaction:
            dbapi_connection.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_nul(_conn, _cursor, _statement, parameters, _context, _executemany):
        if any("\x00" in value for value in _texts(parameters)):
            raise ValueError(NUL_REFUSED)


def _texts(parameters):
    """Every str among one row's parameters or many rows' (insertmanyvalues flattens them into one)."""
    for item in parameters.values() if isinstance(parameters, dict) else parameters or ():
        if isinstance(item, str):
            yield item
        elif isinstance(item, (tuple, list, dict)):
            yield from (value for value in (item.values() if isinstance(item, dict) else item)
                        if isinstance(value, str))
