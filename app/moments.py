"""How a stored time reads on a page, in the back office and the console alike.

The server writes UTC to the second, labelled so, inside a <time> element; static/js/local_time.js
then rewrites the text in the reader's own zone and leaves the UTC value on hover. Pages stay
deterministic (tests and readers without scripts see UTC), and each reader sees local time.

A bare date (a day of a report, an expiry picked as a date) names a calendar day, not an instant:
it is marked up without a time, and the script leaves it as it is, so it never moves by a day.
CSV exports and JSON APIs do not come here: they keep UTC in ISO 8601.
"""
import datetime as dt

from markupsafe import Markup

# What the script reads: an instant always ends in "Z"; a day has no "T".
_INSTANT = "%Y-%m-%dT%H:%M:%SZ"
_UTC_TEXT = "%Y-%m-%d %H:%M:%S UTC"
_DAY = "%Y-%m-%d"


def when(value, show: str = "time") -> Markup:
    """A stored time (naive UTC, aware, or ISO 8601 text) or a date, as a <time> element.

    ``show="date"`` prints only the day of an instant (compact tables); the script then prints
    the reader's local day, and the full UTC time stays on hover.
    """
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, str):
        value = dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return Markup(f'<time datetime="{value:{_DAY}}">{value:{_DAY}}</time>')
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    utc = f"{value:{_UTC_TEXT}}"
    if show == "date":
        return Markup(f'<time datetime="{value:{_INSTANT}}" title="{utc}" data-show="date">{value:{_DAY}}</time>')
    return Markup(f'<time datetime="{value:{_INSTANT}}" title="{utc}">{utc}</time>')
