"""`rnnkit serve` over real HTTP on 127.0.0.1: each endpoint answers what the command line
answers; bad requests are 4xx with a message and the server keeps serving; streaming sessions
carry their state and expire; 2,000 requests 16 at a time lose none."""

import base64
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers import one_error_line, run_cli
from http_helpers import call, serving


def cli_json(capsys, *args, stdin=None, monkeypatch=None):
    code, out, _ = run_cli(list(args), capsys, stdin=stdin, monkeypatch=monkeypatch)
    assert code == 0
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_health_models_and_docs(server):
    assert call(server, "/health") == (200, {"status": "ok", "models": 6, "sessions": 0})
    status, models = call(server, "/models")
    assert status == 200
    assert {m["name"]: m["task"] for m in models} == {
        "lm": "lm", "sentiment": "classify", "ner": "tag", "series": "forecast",
        "reverse": "seq2seq", "speech": "asr"}
    schema = call(server, "/openapi.json")[1]
    assert {"/models/{name}/generate", "/models/{name}/classify", "/sessions/{session_id}"} <= \
        set(schema["paths"])
    import urllib.request
    with urllib.request.urlopen(server + "/docs") as page:
        html = page.read().decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()  # served from here


def test_generate_equals_the_command_line(server, runs, capsys):
    status, answer = call(server, "/models/lm/generate", {"prime": "It is", "length": 40,
                                                          "seed": 3, "temperature": 0.7})
    code, out, _ = run_cli(["generate", runs / "lm", "--prime", "It is", "--length", 40, "--seed",
                            3, "--temperature", 0.7, "--device", "cpu"], capsys)
    assert status == 200 and code == 0 and answer["text"] == out.rstrip("\n")


def test_classify_and_tag_equal_the_command_line(server, runs, capsys, monkeypatch):
    texts = ["a superb, moving film", "an awful mess, dull"]
    status, answer = call(server, "/models/sentiment/classify", {"texts": texts, "top": 2})
    expected = cli_json(capsys, "predict", runs / "sentiment", "--top", 2, "--format", "json",
                        "--device", "cpu", stdin="\n".join(texts) + "\n", monkeypatch=monkeypatch)
    assert status == 200 and answer["results"] == expected
    status, answer = call(server, "/models/ner/tag", {"texts": ["John went to Paris"]})
    expected = cli_json(capsys, "predict", runs / "ner", "--format", "json", "--device", "cpu",
                        stdin="John went to Paris\n", monkeypatch=monkeypatch)
    assert status == 200 and [r["tags"] for r in answer["results"]] == [r["tags"] for r in expected]


def test_translate_equals_the_command_line(server, runs, capsys, monkeypatch):
    status, answer = call(server, "/models/reverse/translate", {"texts": ["red blue cat"],
                                                                "beam": 3})
    expected = cli_json(capsys, "translate", runs / "reverse", "--beam", 3, "--format", "json",
                        "--device", "cpu", stdin="red blue cat\n", monkeypatch=monkeypatch)
    (got,) = answer["translations"]
    assert status == 200 and got["translation"] == expected[0]["translation"]
    assert len(got["attention"]) == len(got["output_tokens"])
    assert all(len(row) == len(got["source_tokens"]) for row in got["attention"])


def test_forecast_and_transcribe_equal_the_command_line(server, runs, spoken, capsys):
    csv = (runs / "series.csv").read_text()
    status, answer = call(server, "/models/series/forecast", {"csv": csv})
    expected = cli_json(capsys, "forecast", runs / "series", "--data", runs / "series.csv",
                        "--format", "json", "--device", "cpu")
    assert status == 200
    assert answer["forecasts"][0]["point"] == pytest.approx([r["forecast"] for r in expected[0]],
                                                           rel=1e-6)
    wav = sorted(spoken.rglob("*.wav"))[0]
    status, answer = call(server, "/models/speech/transcribe",
                          {"audio_base64": base64.b64encode(wav.read_bytes()).decode()})
    expected = cli_json(capsys, "transcribe", runs / "speech", wav, "--format", "json",
                        "--device", "cpu")
    assert status == 200 and answer["text"] == expected[0]["text"] and "file" not in answer


@pytest.mark.parametrize("path, raw, status, words", [
    ("/models/lm/generate", b"{not json", 422, "JSON decode error"),
    ("/models/lm/generate", b'{"length": "many"}', 422, "valid integer"),
    ("/models/lm/generate", b'{"temperature": -1}', 422, "greater than or equal"),
    ("/models/lm/generate", b'{"prime": "It", "colour": "red"}', 422, "Extra inputs"),
    ("/models/lm/generate", b'{"prime": "\xe2\x82\xac\xe2\x82\xac"}', 400, "vocabulary"),
    ("/models/nobody/generate", b"{}", 404, "no model named"),
    ("/models/lm/classify", b'{"texts": ["x"]}', 404, "it has no /classify"),
    ("/models/sentiment/classify", b'{"texts": []}', 422, "at least 1"),
    ("/models/speech/transcribe", b'{"audio_base64": "@@@"}', 400, "not valid base64"),
    ("/models/speech/transcribe", b'{"audio_base64": "aGVsbG8="}', 400, "WAV"),
    ("/models/series/forecast", b'{"csv": "a,b\\n1,2\\n"}', 400, "column"),
    ("/models/lm/generate", b'{"prime": "' + b"a" * 300_000 + b'"}', 413, "larger than"),
])
def test_bad_requests_are_4xx_with_a_message_and_serving_goes_on(server, path, raw, status,
                                                                   words):
    got, answer = call(server, path, raw=raw)
    assert got == status, answer
    assert words.lower() in json.dumps(answer).lower()
    assert call(server, "/health")[0] == 200
    assert call(server, "/models/lm/generate", {"length": 3, "seed": 1})[0] == 200


def test_a_language_model_session_carries_its_state(server):
    status, opened = call(server, "/models/lm/sessions", raw=b"")
    assert status == 201
    key = opened["session"]
    pieces = [call(server, f"/sessions/{key}", {"text": t})[1] for t in ("It is a", " truth")]
    status, other = call(server, "/models/lm/sessions", raw=b"")
    whole = call(server, f"/sessions/{other['session']}", {"text": "It is a truth"})[1]
    assert pieces[0]["nats"] + pieces[1]["nats"] == pytest.approx(whole["nats"])
    assert pieces[1]["next"] == whole["next"]
    assert call(server, f"/sessions/{key}", method="DELETE")[0] == 204
    assert call(server, f"/sessions/{key}", {"text": "x"})[0] == 404
    assert call(server, f"/sessions/{other['session']}", {"text": 5})[0] == 422


def test_idle_sessions_expire(server):
    key = call(server, "/models/lm/sessions", raw=b"")[1]["session"]
    assert call(server, f"/sessions/{key}", {"text": "It"})[0] == 200
    time.sleep(3.5)  # the fixture's --session-idle 3
    assert call(server, f"/sessions/{key}", {"text": " is"})[0] == 404


def test_a_recognition_session_streams_the_whole_files_transcript(server, spoken):
    import soundfile

    wav = sorted(spoken.rglob("*.wav"))[0]
    samples, _ = soundfile.read(wav, dtype="float32")
    whole = call(server, "/models/speech/transcribe",
                 {"audio_base64": base64.b64encode(wav.read_bytes()).decode()})[1]["text"]
    key = call(server, "/models/speech/sessions", raw=b"")[1]["session"]
    size = 3200
    for start in range(0, len(samples), size):
        chunk = samples[start : start + size].tolist()
        answer = call(server, f"/sessions/{key}", {"samples": chunk,
                                                    "final": start + size >= len(samples)})[1]
    assert answer["text"] == whole


def test_two_thousand_requests_sixteen_at_a_time_lose_none(server):
    texts = ["a superb, moving film", "dull and far too long", "great acting", "an awful mess"]
    alone = {t: call(server, "/models/sentiment/classify", {"texts": [t]})[1]["results"][0]
             for t in texts}

    def one(i: int):
        return i, call(server, "/models/sentiment/classify", {"texts": [texts[i % 4]]}, timeout=60)

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(one, range(2000)))
    assert time.monotonic() - started < 300
    assert all(status == 200 for _, (status, _) in answers)
    for i, (_, answer) in answers:
        got = answer["results"][0]
        assert got["label"] == alone[texts[i % 4]]["label"]
        assert got["probability"] == pytest.approx(alone[texts[i % 4]]["probability"], abs=1e-5)


def test_a_port_in_use_is_one_line(runs, capsys):
    with serving([runs / "lm"]) as base:
        port = base.rsplit(":", 1)[1]
        code, _, err = run_cli(["serve", runs / "lm", "--port", port], capsys)
        assert code == 2 and "is another server using it" in one_error_line(err)


def test_a_folder_that_is_not_a_run_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "rnnkit", "serve", str(tmp_path), "--port", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert one_error_line(done.stderr)
