"""The HTTP service (FastAPI) over the run API: `create_app(runs)`.

    GET  /                      the web page (no build step, no CDN)
    GET  /docs                  OpenAPI docs (served locally)
    GET  /health                {"status": "ok", "models": N}
    GET  /models                every loaded model, its task and its endpoint
    GET  /models/{name}/curves  the run's training curves (PNG)
    POST /models/{name}/{kind}  generate | classify | tag | forecast | translate | transcribe |
                                caption, as the model's task allows (JSON in, JSON out)
    POST /models/{name}/sessions, POST /sessions/{id}, DELETE /sessions/{id}
                                streaming, for the models that read step by step

Bad input is a 4xx with a message (`detail`): malformed JSON, wrong types and out-of-range
values 422, an oversized body 413, an input the model cannot read 400, an unknown model or
session 404; a call longer than the time limit 503. The server keeps serving after each.
Every model call runs in a worker thread, one at a time per model.
"""


import asyncio
import base64
import binascii
import math
import tempfile
import threading
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi_offline import FastAPIOffline

from rnnkit.errors import UserError
from rnnkit.serve import requests as bodies
from rnnkit.serve.batching import Batcher
from rnnkit.serve.limits import BodyLimit, Limits
from rnnkit.serve.sessions import Sessions
from rnnkit.serve.stoppable import StoppableCall

PAGE = Path(__file__).with_name("page.html")


class Served:
    """A loaded run, with the lock that keeps its model to one call at a time."""

    def __init__(self, name: str, run) -> None:
        self.name, self.run, self.lock = name, run, threading.Lock()

    def locked(self, call, *args, **kwargs):
        with self.lock:
            return call(*args, **kwargs)


def plain(value):
    """The run API's results as JSON values: numpy arrays and scalars, tensors, tuples."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist"):
        return plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def with_file(data: str, suffix: str, call):
    """`call(path)` on a temporary file holding base64 `data` (or, for CSV, text)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        if suffix == ".csv":
            path.write_text(data, encoding="utf-8")
        else:
            try:
                path.write_bytes(base64.b64decode(data, validate=True))
            except (binascii.Error, ValueError):
                raise UserError("the file is not valid base64") from None
        return call(str(path))


def without_file(record: dict) -> dict:
    """A record without the temporary file's name it was read from."""
    return {k: v for k, v in record.items() if k not in ("file", "image")}


# task -> (endpoint, request body, how a request becomes a call of the run, batched)
ENDPOINTS = {
    "lm": ("generate", bodies.Generate, lambda run, b: {"text": run.generate(
        b.prime, b.length, temperature=b.temperature, top_k=b.top_k, top_p=b.top_p,
        greedy=b.temperature == 0, seed=b.seed)}, False),
    "classify": ("classify", bodies.Texts, lambda run, texts, top: run.predict(texts, top=top),
                 True),
    "tag": ("tag", bodies.Texts, lambda run, texts, top: run.predict(texts), True),
    "forecast": ("forecast", bodies.Forecast, lambda run, b: {"forecasts": with_file(
        b.csv, ".csv", lambda path: run.forecast(path, b.horizon))}, False),
    "seq2seq": ("translate", bodies.Translate, lambda run, b: {"translations": run.translate(
        texts=b.texts, beam=b.beam, n_best=b.n_best)}, False),
    "asr": ("transcribe", bodies.Audio, lambda run, b: without_file(with_file(
        b.audio_base64, ".wav", lambda path: run.transcribe([path], beam=b.beam)[0])), False),
    "caption": ("caption", bodies.Image, lambda run, b: without_file(with_file(
        b.image_base64, ".png", lambda path: run.caption([path], beam=b.beam)[0])), False),
}
CHUNKS = {"lm": bodies.TextChunk, "asr": bodies.AudioChunk}


def create_app(runs: dict, limits: Limits | None = None):
    """The application serving `runs` (name -> a run from `open_run`)."""
    limits = limits or Limits()
    served = {name: Served(name, run) for name, run in runs.items()}
    sessions = Sessions(limits.session_idle_s, limits.max_sessions)
    app = FastAPIOffline(title="rnnkit", description="Recurrent models trained with rnnkit.",
                         version="1")
    batchers: dict[str, Batcher] = {}

    async def answered(work):
        """The JSON value of awaitable `work`; 503 past the time limit, 400 for bad input."""
        try:
            return plain(await work)
        except asyncio.TimeoutError:
            raise HTTPException(503, f"the model took longer than {limits.timeout_s:g} s; the "
                                f"call was stopped") from None
        except UserError as error:
            raise HTTPException(400, str(error)) from None

    async def guarded(work):
        return await answered(asyncio.wait_for(work, limits.timeout_s))

    async def timed(call, *args):
        """`call(*args)` in a thread of its own, stopped (not abandoned) past the time limit."""
        return await answered(StoppableCall(lambda: call(*args)).run(limits.timeout_s))

    def find(name: str) -> Served:
        if name not in served:
            raise HTTPException(404, f"no model named {name!r}; loaded: {', '.join(served)}")
        return served[name]

    app.add_middleware(BodyLimit, max_bytes=limits.max_request_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        """422 naming each field and what was wrong (never echoing the input, which may hold
        what JSON cannot carry back: NaN, a lone surrogate)."""
        detail = [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in error.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page():
        return PAGE.read_text(encoding="utf-8")

    @app.get("/health")
    async def health():
        return {"status": "ok", "models": len(served), "sessions": sessions.count()}

    @app.get("/models")
    async def models():
        return [describe(one) for one in served.values()]

    @app.get("/models/{name}/curves", response_class=FileResponse)
    async def curves(name: str):
        path = find(name).run.folder.curves
        if not path.is_file():
            raise HTTPException(404, f"{name} has no {path.name}")
        return FileResponse(path, media_type="image/png")

    def add_endpoint(task: str) -> None:
        kind, body_class, call, batched = ENDPOINTS[task]

        async def endpoint(name: str, body: body_class):  # type: ignore[valid-type]
            one = find(name)
            if one.run.name != task:
                raise HTTPException(404, f"{name} is a {one.run.name} model; it has no /{kind}")
            if not batched:
                return await timed(one.locked, call, one.run, body)
            key = f"{name}/{body.top}"
            if key not in batchers:
                batchers[key] = Batcher(
                    lambda items, one=one, top=body.top: one.locked(call, one.run, items, top),
                    limits.max_batch, limits.batch_wait_ms / 1000, limits.timeout_s)
            return {"results": await guarded(batchers[key].submit(list(body.texts)))}

        app.post(f"/models/{{name}}/{kind}", name=kind, summary=f"{kind} ({task} models)")(endpoint)

    for task in ENDPOINTS:
        add_endpoint(task)

    @app.post("/models/{name}/sessions", status_code=201)
    async def open_session(name: str):
        one = find(name)
        if one.run.spec.session is None:
            raise HTTPException(404, f"{name} is a {one.run.name} model; it does not stream")
        session = await timed(one.locked, one.run.spec.session, one.run)
        if not sessions.room():
            raise HTTPException(429, f"{limits.max_sessions} sessions are open; close one first")
        return {"session": sessions.add(one, session), "idle_s": limits.session_idle_s}

    @app.post("/sessions/{session_id}")
    async def push(session_id: str, request: Request):
        one, session = sessions.get(session_id)
        try:
            chunk = CHUNKS[one.run.name].model_validate_json(await request.body())
        except ValueError as error:
            raise HTTPException(422, f"not a {one.run.name} chunk: {error}") from None
        return await timed(lambda: one.locked(session.push, **chunk.model_dump()))

    @app.delete("/sessions/{session_id}", status_code=204)
    async def close(session_id: str):
        sessions.remove(session_id)

    return app


def describe(one: Served) -> dict:
    run = one.run
    kind = ENDPOINTS.get(run.name, (None,))[0]
    meta = run.meta.get("task", {})
    return {"name": one.name, "task": run.name, "endpoint": kind and f"/models/{one.name}/{kind}",
            "streams": run.spec.session is not None, "labels": meta.get("labels"),
            "has_curves": run.folder.curves.is_file()}
