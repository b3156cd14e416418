"""The back office shows what is parked, unsettled or settled by the sweep, with counts and totals."""
from app.billing import holds, reconcile, settlement


def _refusal(request_id, **fields):
    return {"request_id": request_id, "created_at": "2026-11-22T05:00:00", "endpoint": "chat", "status": "error",
            "http_status": 404, "multiplier": "1", **fields}


def test_finance_sees_counts_and_totals_of_usage_not_booked(app, finance_client):
    holds.log_only(_refusal("req_parked", model="m\x00"))
    holds.log_only(_refusal("req_swept", total_cost=2_500_000, error_type=reconcile.SWEEP_SETTLED))
    settlement.flush_all(app)
    html = finance_client.get("/admin/unsettled/").get_data(as_text=True)
    parked = html.split('id="unsettled-parked"')[1].split("</tr>")[0]
    assert "<td>1</td>" in parked and "$0.00" in parked
    swept = html.split('id="unsettled-sweep_settled"')[1].split("</tr>")[0]
    assert "<td>1</td>" in swept and "2,500,000" in swept and "$2.50" in swept
    assert "req_parked" in html and "NUL" in html


def test_support_cannot_open_the_unsettled_usage_page(support_client):
    assert support_client.get("/admin/unsettled/").status_code in (302, 403)
