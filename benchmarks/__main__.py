"""`python -m benchmarks [--quick]`: run every benchmark and print its table (Markdown)."""

import argparse

from benchmarks import beam, buckets, engine, lm, speech


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the engine, language-model, bucketing, beam and speech benchmarks and "
        "print each table (Markdown); the full suite takes tens of minutes on 2 cores, "
        "printing each table as it finishes.")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repetitions, to check the scripts run (default: off)")
    quick = parser.parse_args().quick
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
