"""`rnnkit evaluate RUN_DIR --data FILE`: a trained model's figures on held-out data.

Language models: loss, perplexity, bits per token on a text. Classifiers: accuracy, macro-F1,
per-class figures and the confusion matrix. Taggers: entity-level precision/recall/F1 (seqeval)
per type. Encoder-decoders: loss, BLEU and chrF (or, for grapheme-to-phoneme, word and phoneme
error rates) of greedy and beam decoding beside copying the source. Captioners: exact match and
attention in the named shape's box. Recognisers: loss, word and character error rates of
greedy and beam decoding beside the empty transcript's. Without --data, a run trained on a
bundled set is scored on that set's test split.
"""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import add_overwrite, add_run_arguments, number, output_file
from rnnkit.cli.show import print_figures
from rnnkit.run import open_run


def add_parser(commands) -> None:
    parser = commands.add_parser("evaluate", help="evaluate a trained model on held-out data",
                                 description=__doc__.split("\n\n")[1])
    section = add_run_arguments(parser, run)
    section.add_argument("--data", help="file or folder to evaluate on: a text for a language "
                         "model, a table or .ts file for a classifier, CoNLL for a tagger "
                         "a manifest or folder of recordings for a recogniser (default: the bundled "
                         "set's test split)")
    section.add_argument("--encoding", default=None,
                         help="text encoding of --data (default: the run's)")
    section.add_argument("--beam", type=number(int, high=256), default=None,
                         help="seq2seq, asr: beam size of the figures (default: the run's)")
    section.add_argument("--confusion", metavar="FILE.png",
                         help="classifier: draw the confusion matrix there (default: none)")
    add_overwrite(section)


def run(args: argparse.Namespace) -> int:
    confusion = output_file(args.confusion, args.overwrite, "--confusion")
    trained = open_run(args.run, args.checkpoint, args.device)
    options = {"confusion": confusion} if confusion else {}
    if args.beam is not None:
        options["beam"] = args.beam
    result = trained.evaluate(args.data, encoding=args.encoding, **options)
    if args.format == "json":
        print(json.dumps(result))
    else:
        print_figures("evaluation", result)
    return 0
