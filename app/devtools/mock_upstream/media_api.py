"""OpenAI-shaped media endpoints: image generation, speech, transcription.

Images are small generated PNGs (a solid square whose colour follows the prompt), speech a
short WAV of silence whose length follows the input, and every transcription the same text;
its duration is read from a WAV upload's header (else one second per 16 kB).
"""
import base64
import hashlib
import io
import struct
import time
import wave
import zlib

from flask import Response, request

from .knobs import dumps
from .openai_api import error_response

TRANSCRIPT = "The quick brown fox jumps over the lazy dog."
IMAGE_SIDE = 8
SPEECH_RATE = 8000  # samples per second, mono, 16-bit
SPEECH_S_PER_CHAR = 0.01


def png(prompt: str) -> bytes:
    r, g, b = hashlib.sha256(prompt.encode()).digest()[:3]
    rows = b"".join(b"\x00" + bytes((r, g, b)) * IMAGE_SIDE for _ in range(IMAGE_SIDE))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", IMAGE_SIDE, IMAGE_SIDE, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def wav(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SPEECH_RATE)
        w.writeframes(b"\x00\x00" * max(int(seconds * SPEECH_RATE), 1))
    return out.getvalue()


def audio_seconds(data: bytes) -> float:
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            return w.getnframes() / w.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError):
        return len(data) / 16000


def images(body, knobs) -> Response:
    prompt, n = body.get("prompt"), body.get("n", 1)
    if not isinstance(prompt, str) or not prompt:
        return error_response(400, "invalid", "'prompt' is required")
    if type(n) is not int or not 1 <= n <= 10:
        return error_response(400, "invalid", "'n' must be an integer between 1 and 10")
    image = png(prompt)
    if body.get("response_format") == "url":
        data = [{"url": f"{request.host_url}_files/image.png?p={i}"} for i in range(n)]
    else:
        data = [{"b64_json": base64.b64encode(image).decode()} for _ in range(n)]
    for item in data:
        item["revised_prompt"] = prompt
    return Response(dumps({"created": int(time.time()), "data": data}), content_type="application/json")


def image_file() -> Response:
    return Response(png("file"), content_type="image/png")


def speech(body, knobs) -> Response:
    text = body.get("input")
    if not isinstance(text, str) or not text:
        return error_response(400, "invalid", "'input' is required")
    if not isinstance(body.get("voice"), str):
        return error_response(400, "invalid", "'voice' is required")
    return Response(wav(len(text) * SPEECH_S_PER_CHAR), content_type="audio/wav")


def transcriptions(form, knobs) -> Response:
    upload = request.files.get("file")
    if upload is None:
        return error_response(400, "invalid", "'file' is required")
    seconds = round(audio_seconds(upload.read()), 3)
    fmt = form.get("response_format") or "json"
    if fmt == "text":
        return Response(TRANSCRIPT + "\n", content_type="text/plain")
    if fmt in ("srt", "vtt"):
        sep = "," if fmt == "srt" else "."
        end = time.strftime("%H:%M:%S", time.gmtime(int(seconds))) + f"{sep}{int(seconds % 1 * 1000):03d}"
        head = "1\n" if fmt == "srt" else "WEBVTT\n\n"
        return Response(f"{head}00:00:00{sep}000 --> {end}\n{TRANSCRIPT}\n", content_type="text/plain")
    out = {"text": TRANSCRIPT, "usage": {"type": "duration", "seconds": int(seconds + 0.999)}}
    if fmt == "verbose_json":
        out = {"task": "transcribe", "language": form.get("language") or "english", "duration": seconds,
               "text": TRANSCRIPT, "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": seconds,
                                                  "text": TRANSCRIPT, "tokens": [], "temperature": 0.0,
                                                  "avg_logprob": 0.0, "compression_ratio": 1.0,
                                                  "no_speech_prob": 0.0}]}
    return Response(dumps(out), content_type="application/json")
