"""The mock upstream's image, speech and transcription endpoints speak OpenAI's formats."""
import base64
import io
import wave

import pytest

from app.devtools.mock_upstream import create_mock_app

OPENAI = {"Authorization": "Bearer test-key"}


@pytest.fixture
def mock():
    return create_mock_app(env={}).test_client()


def test_images_come_back_as_png_in_b64_json_or_by_url(mock):
    resp = mock.post("/v1/images/generations", json={"model": "m", "prompt": "a fox", "n": 2}, headers=OPENAI)
    data = resp.get_json()["data"]
    assert len(data) == 2 and base64.b64decode(data[0]["b64_json"]).startswith(b"\x89PNG\r\n\x1a\n")
    resp = mock.post("/v1/images/generations", json={"model": "m", "prompt": "a fox", "response_format": "url"},
                     headers=OPENAI)
    url = resp.get_json()["data"][0]["url"]
    assert mock.get(url.split("localhost", 1)[1]).data.startswith(b"\x89PNG")


def test_images_refuse_a_missing_prompt(mock):
    resp = mock.post("/v1/images/generations", json={"model": "m"}, headers=OPENAI)
    assert resp.status_code == 400 and resp.get_json()["error"]["type"] == "invalid_request_error"


def test_speech_is_a_wav_as_long_as_its_input_and_transcribes_with_that_duration(mock):
    audio = mock.post("/v1/audio/speech", json={"model": "m", "input": "x" * 150, "voice": "alloy"},
                      headers=OPENAI)
    assert audio.content_type == "audio/wav"
    with wave.open(io.BytesIO(audio.data)) as w:
        assert w.getnframes() / w.getframerate() == 1.5
    resp = mock.post("/v1/audio/transcriptions", headers=OPENAI, data={
        "model": "m", "response_format": "verbose_json", "file": (io.BytesIO(audio.data), "a.wav")})
    body = resp.get_json()
    assert body["duration"] == 1.5 and body["text"].startswith("The quick brown fox")
    plain = mock.post("/v1/audio/transcriptions", headers=OPENAI, data={
        "model": "m", "response_format": "text", "file": (io.BytesIO(audio.data), "a.wav")})
    assert plain.data.decode().startswith("The quick")


def test_transcription_without_a_file_is_refused(mock):
    resp = mock.post("/v1/audio/transcriptions", headers=OPENAI, data={"model": "m"})
    assert resp.status_code == 400 and "file" in resp.get_json()["error"]["message"]
