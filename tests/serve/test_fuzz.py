"""The server under a property-based HTTP fuzzer (schemathesis, from the OpenAPI schema the
server publishes), with valid cases and with cases that break the schema: whatever the bodies
and parameters, no answer is a 5xx, and /health answers
within a second throughout and after. Bounded: a fixed number of cases per operation."""

import itertools
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from http_helpers import call, serving

MODEL_OF = {"generate": "lm", "classify": "sentiment", "tag": "ner", "forecast": "series",
            "translate": "reverse", "transcribe": "speech", "caption": "lm", "sessions": "speech",
            "curves": "lm"}

def health_within_a_second(server) -> None:
    started = time.monotonic()
    assert call(server, "/health", timeout=5)[0] == 200
    assert time.monotonic() - started < 1.0


@pytest.fixture(scope="module")
def server(runs):
    """A server of its own: the fuzzer opens sessions the package's shared server must not see."""
    with serving([runs / n for n in dict.fromkeys(MODEL_OF.values())],
                 "--max-request-kb", "256") as base:
        yield base


def test_no_input_makes_a_server_error(server):
    schema = schemathesis.openapi.from_url(server + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation, mode in itertools.product(operations, schemathesis.GenerationMode):
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(mode))
        def check(case):
            if "name" in (case.path_parameters or {}):  # aim at a model serving this operation
                last = case.path.rstrip("/").rsplit("/", 1)[-1]
                case.path_parameters["name"] = MODEL_OF.get(last, "lm")
            response = case.call(timeout=60)
            assert response.status_code < 500, (case.method, case.formatted_path, case.body,
                                                response.text[:300])
            health_within_a_second(server)

        try:
            check()
        except Unsatisfiable:  # nothing of this operation can break its schema (GET /health)
            assert mode is schemathesis.GenerationMode.NEGATIVE
    health_within_a_second(server)
