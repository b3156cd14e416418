"""What processing one Stripe event did, as its stored row records it."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    result: str  # applied / ignored / rejected
    detail: str
