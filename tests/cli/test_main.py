import subprocess
import sys

import rnnkit
from rnnkit.cli.main import main


def test_version_and_help(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert capsys.readouterr().out.strip() == f"rnnkit {rnnkit.__version__}"
    assert main([]) == 0
    assert "usage: rnnkit" in capsys.readouterr().out


def test_python_dash_m_runs():
    result = subprocess.run([sys.executable, "-m", "rnnkit", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0 and "usage: rnnkit" in result.stdout


def test_unknown_flag_is_one_line_exit_2():
    result = subprocess.run([sys.executable, "-m", "rnnkit", "--frobnicate"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_a_programming_error_shows_its_traceback_and_a_bug_hint(monkeypatch, capsys):
    """Only the project's own user-facing errors become one line; a bug is not bad input."""
    from rnnkit.cli import generate

    def broken(args):
        raise TypeError("unsupported operand type(s)")  # what a bug looks like

    monkeypatch.setattr(generate, "run", broken)
    assert main(["generate", "anywhere"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "TypeError: unsupported operand" in err
    assert "internal error" in err and "please report it" in err


def test_a_user_error_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["generate", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"rnnkit: error: {tmp_path / 'nowhere'}: no such run folder"


def test_import_rnnkit_exposes_the_diagnostics_and_the_run_api():
    assert callable(rnnkit.diagnostics.diagnose) and callable(rnnkit.open_run)
    assert set(rnnkit.TASKS) >= {"lm", "classify", "tag", "forecast", "adding"}


def test_notices_of_long_waits_are_one_line_each_while_a_command_runs(monkeypatch, capsys):
    """Library code says what a long wait is for through logging ("rnnkit.*" loggers); the
    command shows it as `rnnkit: ...` and takes its handler away afterwards."""
    import logging

    from rnnkit.cli import generate

    def waiting(args):
        logging.getLogger("rnnkit.layers.compiled").info("building the compiled path (once)")
        logging.getLogger("rnnkit.data").debug("too fine to show")
        return 0

    monkeypatch.setattr(generate, "run", waiting)
    assert main(["generate", "anywhere"]) == 0
    assert capsys.readouterr().err.splitlines() == ["rnnkit: building the compiled path (once)"]
    assert logging.getLogger("rnnkit").handlers == []


def test_the_compiled_build_is_announced_only_when_it_is_built():
    from torch.utils import cpp_extension

    from rnnkit.layers.compiled import built_before, extension

    if extension() is not None:  # (a machine without a compiler has no build to find)
        assert built_before(cpp_extension) is True
