"""The platform-wide request log: filters, a detail page with every usage field, CSV, data-access audit."""
import csv
import io
import itertools

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, UsageLog, utcnow
from tests.factories import make_key, make_org, make_user

_ids = itertools.count(1)


def _log(org, user, key, model="gpt-x", status="success", cost=1_234):
    row = UsageLog(request_id=f"rl-{next(_ids)}", created_at=utcnow(), org_id=org.id, user_id=user.id,
                   api_key_id=key.id, wallet_id=org.wallet.id, model=model, endpoint="chat", prompt_tokens=10,
                   completion_tokens=5, total_cost=cost, status=status, http_status=200 if status == "success" else 502,
                   error_type=None if status == "success" else "upstream_error", latency_ms=1234)
    db.session.add(row)
    db.session.commit()
    return row


def _setup(name):
    user = make_user()
    org = make_org(name, owner=user)
    key, _ = make_key(user, org=org)
    return org, user, key


def test_request_log_filters_by_org_and_model_and_names_orgs(auditor_client):
    a, b = _setup("Alpha Req"), _setup("Beta Req")
    _log(*a, model="m-alpha")
    _log(*b, model="m-beta")
    html = auditor_client.get(f"/admin/requests/list/?_flt_0_org_id={a[0].id}").get_data(as_text=True)
    assert "m-alpha" in html and "m-beta" not in html and ">Alpha Req</a>" in html
    html = auditor_client.get("/admin/requests/list/?_flt_0_model=m-beta").get_data(as_text=True)
    assert "m-beta" in html and "m-alpha" not in html
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "data.view")).all()
    assert row.details["screen"] == "request_logs" and row.actor_name == "auditor-staff"


def test_request_detail_page_shows_every_usage_field_and_the_error(auditor_client):
    log = _log(*_setup("Detail Req"), status="error")
    html = auditor_client.get(f"/admin/requests/show/{log.id}").get_data(as_text=True)
    for text in (log.request_id, "upstream_error", "502", "$0.001234", "1,234"):
        assert text in html
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "data.view")).target_type == "UsageLog"


def test_request_log_csv_streams_the_filtered_rows_with_usd_and_credits(auditor_client):
    a, b = _setup("Csv A"), _setup("Csv B")
    _log(*a)
    _log(*b, cost=2_000_000)
    response = auditor_client.get(f"/admin/requests/export.csv?org_id={b[0].id}")
    assert response.is_streamed and response.mimetype == "text/csv"
    [row] = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert (row["total_cost_usd"], row["total_cost_credits"]) == ("2.000000", "2000000")
    assert auditor_client.get("/admin/requests/export.csv?org_id=abc").status_code == 400


def test_support_reads_request_logs_but_cannot_export(support_client):
    assert support_client.get("/admin/requests/list/").status_code == 200
    assert support_client.get("/admin/requests/export.csv").status_code == 403


def test_export_buttons_carry_the_lists_filters(finance_client, auditor_client):
    org = make_org("Export Co", balance_usd="3")
    html = finance_client.get(f"/admin/transactions/list/?_flt_0_wallet={org.wallet.id}").get_data(as_text=True)
    assert f"/admin/transactions/export.csv?wallet_id={org.wallet.id}" in html
    html = auditor_client.get(f"/admin/requests/list/?_flt_0_org_id={org.id}").get_data(as_text=True)
    assert f"/admin/requests/export.csv?org_id={org.id}" in html
    assert "/admin/audit/export.csv" in auditor_client.get("/admin/audit/list/").get_data(as_text=True)
    assert "/admin/orgs/export.csv" in auditor_client.get("/admin/orgs/list/").get_data(as_text=True)


def test_organizations_csv_has_usd_to_the_cent_and_exact_credits(auditor_client):
    make_org("Csv Org", balance_usd="1234.5")
    make_org("Other Plan", plan="free")
    rows = list(csv.DictReader(io.StringIO(auditor_client.get("/admin/orgs/export.csv?plan=pro").get_data(as_text=True))))
    assert [(r["name"], r["credits_usd"], r["credits_credits"]) for r in rows] == [("Csv Org", "1234.50", "1234500000")]
    assert auditor_client.get("/admin/orgs/export.csv?status=nope").status_code == 400
