"""CSV responses streamed row by row from their own database connection."""
import csv
import io

from flask import Response, stream_with_context

from .extensions import db


def csv_response(filename: str, header: list[str], make_rows) -> Response:
    """``make_rows(conn)`` yields lists of cells; nothing is held in memory beyond one batch."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        with db.engine.connect() as conn:
            for n, row in enumerate(make_rows(conn), 1):
                writer.writerow(row)
                if n % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
