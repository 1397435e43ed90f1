"""`rnnkit serve`: trained runs over HTTP (FastAPI and uvicorn), with a web page."""

from rnnkit.serve.app import create_app
from rnnkit.serve.limits import Limits

__all__ = ["Limits", "create_app"]
