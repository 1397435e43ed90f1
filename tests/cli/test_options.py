"""Every command's help groups its flags and shows each flag's default; --device is the same
flag everywhere."""

import argparse

import pytest

from rnnkit.cli.main import build_parser
from rnnkit.tasks.registry import TASKS


def subparsers(parser):
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def all_commands():
    commands = subparsers(build_parser())
    found = {name: parser for name, parser in commands.items() if name not in ("train", "search")}
    for command in ("train", "search"):
        found.update({f"{command} {task}": parser
                      for task, parser in subparsers(commands[command]).items()})
    return found


COMMANDS = all_commands()


def test_train_and_search_have_a_command_per_registered_task():
    assert {name[6:] for name in COMMANDS if name.startswith("train ")} == set(TASKS)
    assert {name[7:] for name in COMMANDS if name.startswith("search ")} == {*TASKS, "show"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_flag_has_help_with_its_default(name):
    parser = COMMANDS[name]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        assert action.help and "(default:" in action.help, (name, action.option_strings)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_groups_the_flags(name):
    titles = {group.title for group in COMMANDS[name]._action_groups if group._group_actions}
    if name in ("search show", "export"):  # a search folder; export checks on the CPU alone
        return
    expected = {"data options", "model options", "training options", "run options"} if (
        name.startswith(("train ", "search "))) else {"run options"}
    assert expected <= titles, titles
    device = next(a for a in COMMANDS[name]._actions if "--device" in a.option_strings)
    assert tuple(device.choices) == ("auto", "cpu", "cuda")
    assert device.default in ("auto", argparse.SUPPRESS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_format_means_what_is_printed_in_every_command(name):
    """--format picks the printed output (text or json) wherever a command has it; export's
    model format is --to."""
    parser = COMMANDS[name]
    found = next((a for a in parser._actions if "--format" in a.option_strings), None)
    if found is None:
        return
    if found.choices is not None:
        assert set(found.choices) == {"text", "json"}, name
    else:  # a checking type (export's points --format onnx to --to)
        assert found.type("json") == "json" and found.default == "text"
        with pytest.raises(argparse.ArgumentTypeError, match="--to onnx"):
            found.type("onnx")
