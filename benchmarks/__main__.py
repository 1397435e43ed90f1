"""`python -m benchmarks [--quick]`: run every benchmark and print its table (Markdown)."""

import sys

from benchmarks import beam, buckets, engine, lm, speech


def main() -> None:
    quick = "--quick" in sys.argv
    print(engine.run(quick=quick), flush=True)
    print(flush=True)
    print(lm.run(quick=quick), flush=True)
    print(flush=True)
    print(buckets.run(quick=quick), flush=True)
    print(flush=True)
    print(beam.run(quick=quick), flush=True)
    print(flush=True)
    print(speech.run(quick=quick), flush=True)


main()
