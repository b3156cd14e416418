"""What an image, speech or transcription request may cost (its hold) and did cost, in integer credits.

Images are priced per image by size and quality, speech per 1M characters of input,
transcription per second of audio. The group multiplier applies as it does to tokens, and
each request's cost is rounded up to a whole credit. A transcription's length is unknown
until the provider reports it: its hold assumes the upload is audio at the lowest bitrate
speech is stored at (MIN_AUDIO_BYTES_PER_S), capped by GATEWAY_TRANSCRIPTION_MAX_SECONDS.
"""
from decimal import Decimal

from ..billing.units import ceil_credits
from .catalog import ModelInfo
from .pricing import Charge

MIN_AUDIO_BYTES_PER_S = 1000  # 8 kbit/s, below any speech codec setting worth transcribing
_MILLION = Decimal(1_000_000)
MEDIA_KINDS = {"images": "image", "speech": "speech", "transcription": "transcription"}


def image_price(model: ModelInfo, size: str, quality: str) -> int | None:
    """Credits per image at this size and quality; None when the model has no such price."""
    by_quality = model.image_prices.get(size)
    return by_quality.get(quality) if isinstance(by_quality, dict) else None


def images(multiplier: Decimal, unit_price: int, count: int) -> Charge:
    return _charge(Decimal(unit_price) * count, multiplier)


def speech(model: ModelInfo, multiplier: Decimal, characters: int) -> Charge:
    return _charge(Decimal(model.char_price) * characters / _MILLION, multiplier)


def transcription(model: ModelInfo, multiplier: Decimal, seconds: Decimal) -> Charge:
    return _charge(Decimal(model.second_price) * seconds, multiplier)


def seconds_bound(upload_bytes: int, max_seconds: int) -> int:
    return min(-(-upload_bytes // MIN_AUDIO_BYTES_PER_S), max_seconds)


def _charge(full: Decimal, multiplier: Decimal) -> Charge:
    total = ceil_credits(full * multiplier)
    return Charge(input_cost=total, output_cost=0, cached_cost=0, total_cost=total,
                  discount_savings=max(ceil_credits(full) - total, 0))


def image_price_table(raw) -> dict:
    """Validate an admin's price table: {size: {quality: credits}} with whole, non-negative credits."""
    if not isinstance(raw, dict):
        raise ValueError("Image prices: must be a JSON object of sizes, e.g. {\"1024x1024\": {\"standard\": 40000}}")
    for size, by_quality in raw.items():
        if not isinstance(by_quality, dict) or not by_quality:
            raise ValueError(f"Image prices: {size} must map qualities to credits")
        for quality, credits in by_quality.items():
            if type(credits) is not int or credits < 0:
                raise ValueError(f"Image prices: {size} {quality} must be a whole, non-negative number of credits")
    return raw
