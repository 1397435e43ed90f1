"""The server's limits hold for real (issue 29): what JSON cannot carry back (NaN, Infinity,
lone surrogates) is a 422, a chunked body is counted as it is read, every text and sample has a
bound, and a call past the time limit is stopped, not left holding the model."""

import base64
import http.client
import io
import struct
import time
from urllib.parse import urlparse

import numpy as np
import pytest
import soundfile

from http_helpers import call, serving


def healthy(server) -> bool:
    started = time.monotonic()
    status = call(server, "/health", timeout=5)[0]
    return status == 200 and time.monotonic() - started < 1.0


@pytest.mark.parametrize("path, raw", [
    ("/models/lm/generate", b'{"prime": "It", "temperature": NaN}'),
    ("/models/lm/generate", b'{"prime": "It", "top_p": Infinity}'),
    ("/models/lm/generate", b'{"prime": "It", "seed": 18446744073709551616}'),
    ("/models/lm/generate", b'{"prime": "\\ud800"}'),
    ("/models/sentiment/classify", b'{"texts": ["fine", "\\udfff alone"]}'),
    ("/models/reverse/translate", b'{"texts": ["' + b"word " * 1001 + b'"]}'),
    ("/models/series/forecast", b'{"csv": "t,y\\n1,2\\n", "horizon": -Infinity}'),
])
def test_what_json_cannot_carry_back_is_a_422(server, path, raw):
    status, answer = call(server, path, raw=raw)
    assert status == 422 and answer["detail"], answer
    assert healthy(server)


@pytest.mark.parametrize("samples", [b"[NaN, 0.1]", b"[Infinity]", b"[1e308, 0.0]", b"[-2.5]"])
def test_a_stream_refuses_samples_outside_minus_one_to_one(server, samples):
    key = call(server, "/models/speech/sessions", raw=b"")[1]["session"]
    status, answer = call(server, f"/sessions/{key}", raw=b'{"samples": ' + samples + b"}")
    assert status == 422 and "not a asr chunk" in answer["detail"]
    assert call(server, f"/sessions/{key}", method="DELETE")[0] == 204


def test_a_chunked_body_is_counted_as_it_is_read(server):
    """No Content-Length: the fixture's 256 KB limit still holds, and the server goes on."""
    address = urlparse(server)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    body = b'{"prime": "' + b"a" * 600_000 + b'"}'
    pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
    connection.request("POST", "/models/lm/generate", body=pieces, encode_chunked=True,
                       headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    response = connection.getresponse()
    assert response.status == 413 and b"larger than" in response.read()
    connection.close()
    assert healthy(server)


def test_a_wav_whose_header_claims_200_megahertz_is_a_400(server):
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.5 * np.sin(np.arange(1600) / 5.0), 16000, format="WAV",
                    subtype="PCM_16")
    data = bytearray(buffer.getvalue())
    data[24:28] = struct.pack("<I", 200_000_000)
    status, answer = call(server, "/models/speech/transcribe",
                          {"audio_base64": base64.b64encode(bytes(data)).decode()})
    assert status == 400 and "is too high" in answer["detail"]


def test_a_call_past_the_time_limit_is_stopped_and_frees_the_model(runs):
    """A translation of 200 long lines with a wide beam takes far longer than 1 s: it gets its
    503, and the next small request is answered at once (the stopped call let go of the
    model) instead of waiting behind it."""
    long_lines = [" ".join(["red", "blue", "cat", "small"] * 240)] * 200
    with serving([runs / "reverse"], "--timeout", "1", "--max-request-kb", "4096") as base:
        started = time.monotonic()
        status, answer = call(base, "/models/reverse/translate",
                              {"texts": long_lines, "beam": 64}, timeout=120)
        assert status == 503 and "stopped" in answer["detail"]
        assert time.monotonic() - started < 10
        started = time.monotonic()
        status, answer = call(base, "/models/reverse/translate", {"texts": ["red blue cat"], "beam": 1},
                              timeout=120)
        assert status == 200 and time.monotonic() - started < 3, answer
        assert healthy(base)
