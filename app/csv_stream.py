"""CSV written row by row, to a streamed response or to a file, never all in memory.

Cells that a spreadsheet would run as a formula (text starting with =, +, -, @, a tab or a
carriage return) get a leading apostrophe, so a model name or a description chosen by a
caller stays text when the file is opened.
"""
import csv
import io

from flask import Response, stream_with_context

from .extensions import db

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell):
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def chunks(header: list[str], rows, every: int = 500):
    """The CSV text of ``header`` and ``rows`` (lists of cells), ``every`` rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for n, row in enumerate(rows, 1):
        writer.writerow([inert(c) for c in row])
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(filename: str, header: list[str], make_rows) -> Response:
    """``make_rows(conn)`` yields lists of cells from its own connection: the request's session is
    gone by the time a streamed body is generated."""

    def generate():
        with db.engine.connect() as conn:
            yield from chunks(header, make_rows(conn))

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
