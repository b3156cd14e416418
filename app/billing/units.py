"""Credits <-> USD at the edges. 1 USD = 1,000,000 credits; credits are integers.

Inputs in USD are accepted as strings or Decimals with at most 6 decimal places (a
credit is exactly one micro-dollar, so nothing is ever rounded on the way in). Outputs
are rounded half-up to 6 decimals, i.e. shown exactly.
"""
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

CREDITS_PER_USD = 1_000_000
_MICRO = Decimal("0.000001")


def usd_to_credits(value) -> int:
    """Parse a USD amount ("12.5", Decimal, int) into credits; floats and sub-micro amounts are refused."""
    if isinstance(value, float):
        value = repr(value)  # a JSON number arrives as float; its shortest repr is what the user typed
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a USD amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a USD amount: {value!r}")
    # Refused before any arithmetic: "1e999999" would overflow the context or, a bit smaller,
    # cost seconds of CPU to turn into an int, and "1e-999999999" would underflow to zero.
    # No wallet holds 10^12 USD (10^18 credits, near 2^63).
    if amount and amount.adjusted() > 11:
        raise ValueError(f"USD amount too large: {value!r}")
    if amount and amount.adjusted() < -6:
        raise ValueError(f"USD amount has more than 6 decimal places: {value!r}")
    credits = amount * CREDITS_PER_USD
    if credits != credits.to_integral_value():
        raise ValueError(f"USD amount has more than 6 decimal places: {value!r}")
    return int(credits)


def credits_to_usd(credits: int) -> Decimal:
    return (Decimal(int(credits)) / CREDITS_PER_USD).quantize(_MICRO, rounding=ROUND_HALF_UP)


def usd_text(credits: int | None) -> str:
    """Credits as a USD string for people: cents when exact, all six decimals when not."""
    if credits is None:
        return ""
    value = credits_to_usd(credits)
    if value == value.quantize(Decimal("0.01")):
        return f"${value:,.2f}".replace("$-", "-$")
    return f"${value.normalize():,f}".replace("$-", "-$")


def usd_cents(credits: int | None) -> str:
    """Balances and payments for people: always two decimals, rounded half-up ("$1,500.00")."""
    if credits is None:
        return ""
    value = credits_to_usd(credits).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${value:,.2f}".replace("$-", "-$")


def usd_plain(credits: int | None, places: int = 6) -> str:
    """USD for a CSV cell: a bare number ("1500.00"), 2 or 6 decimals as the column documents."""
    if credits is None:
        return ""
    return str(credits_to_usd(credits).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def usd_json(credits: int | None) -> float | None:
    """USD for a JSON body: a number with at most 6 decimals (exact in decimal form)."""
    return None if credits is None else float(credits_to_usd(credits))


def ceil_credits(value: Decimal) -> int:
    """Costs round up to a whole credit per request."""
    return int(value.to_integral_value(rounding=ROUND_CEILING))
