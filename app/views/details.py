"""Structured details (audit rows, ledger details) as tables people read, never Python dicts."""
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)


def details_table(details) -> Markup:
    """An audit row's details as people read them: a field / before / after table for changes,
    a field / value table otherwise; never a Python dict."""
    if not details:
        return Markup("—")
    rows = []
    if isinstance(details, dict) and ("before" in details or "after" in details):
        before, after = details.get("before") or {}, details.get("after") or {}
        if not isinstance(before, dict) or not isinstance(after, dict):
            before, after = {"value": before}, {"value": after}
        head = f"<tr><th>{escape(_l('Field'))}</th><th>{escape(_l('Before'))}</th><th>{escape(_l('After'))}</th></tr>"
        for key in dict.fromkeys([*before, *after]):
            rows.append(f"<tr><td>{escape(key)}</td><td>{escape(_cell(before.get(key)))}</td>"
                        f"<td>{escape(_cell(after.get(key)))}</td></tr>")
        extra = {k: v for k, v in details.items() if k not in ("before", "after")}
        rows += [f"<tr><td>{escape(k)}</td><td colspan='2'>{escape(_cell(v))}</td></tr>" for k, v in extra.items()]
    else:
        head = f"<tr><th>{escape(_l('Field'))}</th><th>{escape(_l('Value'))}</th></tr>"
        items = details.items() if isinstance(details, dict) else [("value", details)]
        rows = [f"<tr><td>{escape(k)}</td><td>{escape(_cell(v))}</td></tr>" for k, v in items]
    return Markup(f"<table class='table table-condensed audit-details'>{head}{''.join(rows)}</table>")
