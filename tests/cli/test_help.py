"""Every command's help page writes defaults the same way (none, on, off), and says the
default of every option it lists."""

import argparse
import re

from rnnkit.cli.main import build_parser


def pages(parser: argparse.ArgumentParser, prefix: str = "rnnkit"):
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from pages(sub, f"{prefix} {name}")


def test_defaults_are_written_alike_on_every_page():
    seen = 0
    for name, parser in pages(build_parser()):
        text = parser.format_help()
        assert not re.search(r"\(default: (None|False|True)\)", text), name
        for action in parser._actions:
            if action.option_strings and action.help not in (None, argparse.SUPPRESS) and \
                    not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                assert "(default:" in action.help, (name, action.option_strings)
                seen += 1
    assert seen > 500


def test_a_task_that_needs_data_says_so_where_it_lists_data():
    pages_by_name = dict(pages(build_parser()))
    for task in ("lm", "classify", "tag", "forecast", "seq2seq"):
        text = " ".join(pages_by_name[f"rnnkit train {task}"].format_help().split())
        assert "this or --dataset is required" in text and "this or --data is required" in text
    text = " ".join(pages_by_name["rnnkit train asr"].format_help().split())
    assert "is required" not in text  # its bundled speech is the default
