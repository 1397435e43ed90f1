"""`rnnkit serve RUN_DIR [RUN_DIR ...] --port 8000`: trained models over HTTP (FastAPI and
uvicorn): an endpoint per task, streaming sessions, OpenAPI docs at /docs, a web page at /."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from rnnkit.cli.options import number
from rnnkit.errors import UserError
from rnnkit.run import open_run


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "serve", help="serve trained models over HTTP",
        description="Serve runs over HTTP: JSON endpoints per task (generate, classify, tag, "
        "forecast, translate, transcribe, caption), streaming sessions, OpenAPI docs at /docs "
        "and a web page at /.")
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folders to serve")
    section = parser.add_argument_group("run options")
    section.add_argument("--host", default="127.0.0.1", help="address to listen on "
                         "(default: 127.0.0.1)")
    section.add_argument("--port", type=number(int), default=8000, help="port (default: 8000)")
    section.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                         help="where the models compute (default: auto)")
    section.add_argument("--checkpoint", choices=("best", "last"), default="best",
                         help="which checkpoint to load (default: best)")
    section.add_argument("--max-request-kb", type=number(int, high=1 << 22), default=1024,
                         help="larger request bodies are refused with 413 (default: 1024)")
    section.add_argument("--timeout", type=number(float, high=86_400.0), default=30.0,
                         help="seconds a model call may take before a 503 (default: 30)")
    section.add_argument("--batch-wait-ms", type=number(float, high=10_000.0), default=0.0,
                         help="how long a classify/tag request waits for others to batch with; "
                         "those waiting while the model is busy are batched anyway (default: 0)")
    section.add_argument("--session-idle", type=number(float, high=86_400.0 * 7), default=300.0,
                         help="seconds before an idle streaming session expires (default: 300)")
    parser.set_defaults(run_command=run)


def names_of(folders: list[str]) -> list[str]:
    """A name per run folder: its folder name, made unique."""
    names = []
    for folder in folders:
        base = Path(folder).resolve().name or "run"
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def check_port(host: str, port: int) -> None:
    if not 0 < port < 65536:
        raise UserError(f"--port must be in 1..65535, got {port}")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise UserError(f"cannot listen on {host}:{port} ({error.strerror}); is another "
                            f"server using it? choose another --port") from None


def run(args: argparse.Namespace) -> int:
    import uvicorn  # here, not at the top: the other commands start without the web stack

    from rnnkit.serve import Limits, create_app

    limits = Limits(max_request_bytes=args.max_request_kb * 1024, timeout_s=args.timeout,
                    batch_wait_ms=args.batch_wait_ms, session_idle_s=args.session_idle)
    check_port(args.host, args.port)
    runs = {name: open_run(folder, args.checkpoint, args.device)
            for name, folder in zip(names_of(args.runs), args.runs)}
    app = create_app(runs, limits)
    print(f"rnnkit: serving {', '.join(runs)} on http://{args.host}:{args.port}/ (docs at /docs)",
          file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
