"""Fixtures for the meter: a funded org wallet and a key spending from it."""
import secrets
from dataclasses import dataclass, replace

import pytest

from app.billing.holds import HoldRequest
from tests.factories import make_key, make_org, make_user

T0 = 1_800_000_000_000  # a fixed "now" in ms, so windows and minutes are predictable


@dataclass
class Meter:
    org_id: int
    wallet_id: int
    key_id: int
    user_id: int
    model: str = "gpt-test"

    def hold(self, amount: int, **limits) -> HoldRequest:
        return HoldRequest(request_id="req_" + secrets.token_hex(8), wallet_id=self.wallet_id, key_id=self.key_id,
                           org_id=self.org_id, model=limits.pop("model", self.model), amount=amount,
                           est_tokens=limits.pop("est_tokens", 100), **limits)

    def record(self, request_id: str, cost: int = 0, model: str | None = None, status: str = "success") -> dict:
        return {"request_id": request_id, "created_at": "2027-01-15T08:00:00", "org_id": self.org_id,
                "user_id": self.user_id, "api_key_id": self.key_id, "project_id": None,
                "wallet_id": self.wallet_id, "model": model or self.model, "provider_id": None, "endpoint": "chat",
                "prompt_tokens": 10, "completion_tokens": 5, "cached_tokens": 0, "input_cost": cost, "output_cost": 0,
                "cached_cost": 0, "total_cost": cost, "discount_savings": 0, "multiplier": "1", "latency_ms": 12,
                "ttft_ms": 5, "status": status, "http_status": 200, "error_type": None, "stream": False,
                "usage_estimated": False}


@pytest.fixture
def meter(db):
    user = make_user()
    org = make_org(balance_usd="10", owner=user)  # 10,000,000 credits
    key, _ = make_key(user, org=org)
    return Meter(org_id=org.id, wallet_id=org.wallet.id, key_id=key.id, user_id=user.id)


def with_id(req: HoldRequest, request_id: str) -> HoldRequest:
    return replace(req, request_id=request_id)
