"""The Models page: what the signed-in user may call here, with their prices; filterable."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import actor as actors, price_list
from .access import login_required, org_scope
from .blueprint import bp, message_page

SORTS = {"name": lambda o: o.public_id, "input": lambda o: (o.input_usd, o.public_id),
         "output": lambda o: (o.output_usd, o.public_id), "context": lambda o: (-o.context_length, o.public_id)}


@bp.get("/models", defaults={"org_id": None})
@bp.get("/orgs/<int:org_id>/models")
@login_required
def models(org_id: int | None):
    scope = org_scope(org_id) if org_id is not None else None  # every org role reads the org's models
    offers = price_list.offers(actors.for_user(current_user.id, org_id))
    capabilities = sorted({c for o in offers for c in o.capabilities})
    q = (request.args.get("q") or "").strip()[:128]
    capability = (request.args.get("capability") or "")[:64]  # an unknown tag matches nothing
    sort = request.args.get("sort") or "name"
    if sort not in SORTS:
        return message_page(_("Models"), f"sort: must be one of {', '.join(SORTS)}")
    shown = [o for o in offers if (not q or q.lower() in o.public_id.lower() or q.lower() in o.display_name.lower())
             and (not capability or capability in o.capabilities)]
    return render_template("console/models.html", scope=scope, org_id=org_id, offers=sorted(shown, key=SORTS[sort]),
                           total=len(offers), capabilities=capabilities, q=q, capability=capability, sort=sort)
