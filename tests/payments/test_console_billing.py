"""The console's Wallet page: the top-up form goes to Stripe Checkout, receipts and the CSV statement."""
import csv
import io

from sqlalchemy import select

from app.accounts import add_member
from app.extensions import db
from app.models import OrgRole, Topup
from tests.console.conftest import _fresh_login, login, verified_user  # noqa: F401 - shared fixture
from tests.factories import make_org


def owner_org():
    owner = verified_user("payer")
    org = make_org(plan="max", owner=owner)
    return owner, org


def test_owner_tops_up_from_the_wallet_page_and_gets_a_receipt(app, db, standin):
    owner, org = owner_org()
    client = login(app, owner.username)
    wallet = client.get(f"/console/orgs/{org.id}/wallet")
    page = wallet.get_data(as_text=True)
    assert 'id="topup"' in page and "+11.2%" in page
    assert f"form-action 'self' {standin.url}" in wallet.headers["Content-Security-Policy"]
    answer = client.post(f"/console/orgs/{org.id}/wallet/topup", data={"amount_usd": "1250"})
    assert answer.status_code == 303 and answer.headers["Location"].startswith(standin.url + "/pay/")
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    standin.pay(session_id)
    entry_id = db.session.scalar(select(Topup.ledger_entry_id))
    receipt = client.get(f"/console/orgs/{org.id}/wallet/receipts/{entry_id}").get_data(as_text=True)
    assert "$1,250.00" in receipt and "$1,530.000000" not in receipt and 'id="stripe-receipt"' in receipt
    assert "$1,530.00" in receipt  # 1250 x (1 + 11.2% ladder + 11.2% Max plan)


def test_the_quote_shows_price_and_credits_before_paying(app, db):
    owner, org = owner_org()
    client = login(app, owner.username)
    quote = client.get(f"/console/orgs/{org.id}/wallet/quote?amount_usd=99.99").json
    assert quote["credits_text"] == "$114.18858" and quote["price_text"] == "$99.99"  # +3% ladder, +11.2% Max
    bad = client.get(f"/console/orgs/{org.id}/wallet/quote?amount_usd=99.999")
    assert bad.status_code == 400 and bad.json["error"]["param"] == "amount_usd"


def test_bad_amount_comes_back_as_a_message_naming_the_field(app, db, standin):
    owner, org = owner_org()
    client = login(app, owner.username)
    answer = client.post(f"/console/orgs/{org.id}/wallet/topup", data={"amount_usd": "2"}, follow_redirects=True)
    assert "amount_usd must be at least the minimum top-up of $5.00" in answer.get_data(as_text=True)
    assert db.session.scalar(select(Topup.id)) is None


def test_viewers_read_the_statement_but_cannot_top_up_or_see_others_receipts(app, db, standin):
    owner, org = owner_org()
    viewer = verified_user("viewer1")
    add_member(org, viewer, OrgRole.viewer)
    db.session.commit()
    client = login(app, viewer.username)
    assert 'id="topup"' not in client.get(f"/console/orgs/{org.id}/wallet").get_data(as_text=True)
    assert client.post(f"/console/orgs/{org.id}/wallet/topup", data={"amount_usd": "20"}).status_code == 403
    export = client.get(f"/console/orgs/{org.id}/wallet/transactions.csv")
    assert export.status_code == 200 and export.is_streamed
    assert next(csv.reader(io.StringIO(export.get_data(as_text=True))))[:3] == ["id", "type", "status"]
    other_owner, other = verified_user("other"), None
    other = make_org(owner=other_owner)
    assert client.get(f"/console/orgs/{other.id}/wallet/receipts/1").status_code == 404


def test_an_individual_tops_up_the_personal_wallet(app, db, standin):
    from app.models import Wallet

    user = verified_user("solo")
    client = login(app, user.username)
    assert 'id="topup"' in client.get("/console/wallet").get_data(as_text=True)
    assert client.get("/console/wallet/quote?amount_usd=100").json["credits"] == 103_000_000  # ladder only (Free)
    answer = client.post("/console/wallet/topup", data={"amount_usd": "100"})
    assert answer.status_code == 303
    standin.pay(answer.headers["Location"].rsplit("/", 1)[1])
    db.session.expire_all()
    assert db.session.scalar(select(Wallet.balance).where(Wallet.user_id == user.id)) == 103_000_000
