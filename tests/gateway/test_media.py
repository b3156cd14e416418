"""Images, speech and transcription with the official openai SDK: held at their most, charged for what came back."""
import base64
import io
import wave

import openai
import pytest

from tests.factories import make_key, make_model, make_org, make_user

from .helpers import balance, knobs, usage_charges, usage_rows

START = 10_000_000
IMAGE_PRICES = {"1024x1024": {"standard": 40_000, "hd": 80_000}, "512x512": {"standard": 20_000}}
TRANSCRIPT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture
def media_models(world):
    common = dict(providers=[world.openai_provider], groups=[world.public], input_price=0, output_price=0,
                  cached_input_price=0)
    return (make_model("image-test", kind="image", upstream_name="image-up", image_prices=IMAGE_PRICES, **common),
            make_model("speech-test", kind="speech", upstream_name="speech-up", char_price=15_000_000, **common),
            make_model("whisper-test", kind="transcription", upstream_name="whisper-up", second_price=100, **common))


@pytest.fixture
def oai(world, live_tollgate, media_models):
    return openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key=world.secret, max_retries=0)


def wav_of(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return out.getvalue()


@pytest.mark.embedded
def test_images_are_charged_per_image_at_their_size_and_quality(oai, world, mock_upstream):
    resp = oai.images.generate(model="image-test", prompt="a red fox", n=2, size="1024x1024", quality="hd")
    assert len(resp.data) == 2 and base64.b64decode(resp.data[0].b64_json).startswith(b"\x89PNG")
    sent = mock_upstream.last("images")
    assert (sent["model"], sent["n"], sent["quality"]) == ("image-up", 2, "hd")
    row = usage_rows()[-1]
    assert (row.endpoint, row.model, row.total_cost, row.status) == ("images", "image-test", 160_000, "success")
    assert usage_charges() == [-160_000]
    assert balance(world.org.wallet.id) == START - 160_000


def test_images_by_url_and_quota_headers(oai, world):
    raw = oai.images.with_raw_response.generate(model="image-test", prompt="a fox", size="512x512",
                                                response_format="url")
    assert raw.parse().data[0].url.endswith(".png?p=0")
    assert raw.headers["X-Org-Quota-Remaining-Credits"] == str(START - 20_000)
    assert raw.headers["X-Quota-Remaining-Credits"] == "unlimited"


def test_speech_is_charged_per_character_and_returns_the_audio(oai, world, mock_upstream):
    text = "Hello there, this is Tollgate speaking."
    audio = oai.audio.speech.create(model="speech-test", voice="alloy", input=text, response_format="wav")
    assert audio.content[:4] == b"RIFF" and audio.response.headers["content-type"] == "audio/wav"
    assert mock_upstream.last("speech")["model"] == "speech-up"
    cost = -(-15_000_000 * len(text) // 1_000_000)
    assert usage_rows()[-1].total_cost == cost and usage_charges() == [-cost]
    assert balance(world.org.wallet.id) == START - cost


@pytest.mark.embedded
@pytest.mark.parametrize("fmt", ["json", "verbose_json", "text", "srt"])
def test_transcription_is_charged_for_the_seconds_transcribed(oai, world, mock_upstream, fmt):
    result = oai.audio.transcriptions.create(model="whisper-test", file=("speech.wav", wav_of(2.5), "audio/wav"),
                                             response_format=fmt)
    if fmt == "text":
        assert result.strip() == TRANSCRIPT
    elif fmt == "srt":
        assert "00:00:02,500" in result
    else:
        assert result.text == TRANSCRIPT
    if fmt == "verbose_json":
        assert result.duration == 2.5
    sent = mock_upstream.last("transcriptions")
    assert sent["model"] == "whisper-up"
    assert sent["response_format"] == ("srt" if fmt == "srt" else "verbose_json")
    assert usage_rows()[-1].total_cost == 250  # 2.5 s at 100 credits a second
    assert balance(world.org.wallet.id) == START - 250


@pytest.mark.parametrize("call, param", [
    (lambda c: c.images.generate(model="image-test", prompt="x", size="256x256"), "size"),
    (lambda c: c.images.generate(model="image-test", prompt="x", size="512x512", quality="hd"), "quality"),
    (lambda c: c.images.generate(model="image-test", prompt="x", n=11), "n"),
    (lambda c: c.images.generate(model="image-test", prompt=""), "prompt"),
    (lambda c: c.audio.speech.create(model="speech-test", voice="alloy", input="x" * 4097), "input"),
    (lambda c: c.audio.speech.create(model="speech-test", voice="alloy", input="x", response_format="ogg"),
     "response_format"),
    (lambda c: c.images.generate(model="speech-test", prompt="x"), "model"),
    (lambda c: c.chat.completions.create(model="image-test", messages=[{"role": "user", "content": "x"}]), "model"),
])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_charged(oai, world, call, param):
    with pytest.raises(openai.BadRequestError) as err:
        call(oai)
    assert err.value.status_code == 400 and err.value.body["param"] == param
    assert balance(world.org.wallet.id) == START and usage_charges() == []


def test_transcription_without_a_file_or_too_large_is_refused_naming_file(oai, world, live_tollgate, app):
    import requests

    url = f"{live_tollgate.url}/v1/audio/transcriptions"
    resp = requests.post(url, headers=world.headers, data={"model": "whisper-test"}, files={"x": ("a", b"1")})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "file"
    app.config["GATEWAY_MAX_UPLOAD_BYTES"] = 1000
    try:
        with pytest.raises(openai.BadRequestError) as err:
            oai.audio.transcriptions.create(model="whisper-test", file=("a.wav", wav_of(1), "audio/wav"))
    finally:
        app.config["GATEWAY_MAX_UPLOAD_BYTES"] = 25 * 1024 * 1024
    assert err.value.body["param"] == "file" and "larger than" in err.value.body["message"]
    assert usage_charges() == []


def test_hold_is_the_most_the_request_may_cost(world, live_tollgate, media_models):
    """A wallet holding $0.10 covers two images at $0.04, not three: the hold counts every image asked for."""
    owner = make_user("poor")
    org = make_org("Poor", plan="pro", balance_usd="0.1", owner=owner)
    _, secret = make_key(owner, org)
    client = openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key=secret, max_retries=0)
    with pytest.raises(openai.APIStatusError) as err:
        client.images.generate(model="image-test", prompt="x", n=3)
    assert err.value.status_code == 402 and err.value.body["code"] == "insufficient_quota"
    assert len(client.images.generate(model="image-test", prompt="x", n=2).data) == 2
    assert balance(org.wallet.id) == 100_000 - 80_000


def test_upstream_failure_releases_the_hold(oai, world, mock_upstream):
    with knobs(mock_upstream, error=500):
        with pytest.raises(openai.APIStatusError) as err:
            oai.images.generate(model="image-test", prompt="x")
    assert err.value.status_code == 502 and err.value.body["type"] == "upstream_error"
    assert balance(world.org.wallet.id) == START and usage_charges() == []
    assert usage_rows()[-1].status == "error"


def test_audio_longer_than_the_hold_is_charged_up_to_the_hold_and_the_rest_recorded_as_a_loss(oai, world, app):
    app.config["GATEWAY_TRANSCRIPTION_MAX_SECONDS"] = 1
    try:
        oai.audio.transcriptions.create(model="whisper-test", file=("a.wav", wav_of(2.5), "audio/wav"))
    finally:
        app.config["GATEWAY_TRANSCRIPTION_MAX_SECONDS"] = 3 * 3600
    row = usage_rows()[-1]
    assert (row.total_cost, row.unbilled_cost, row.cost_clamped) == (100, 150, True)
    assert balance(world.org.wallet.id) == START - 100
