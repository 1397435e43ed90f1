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
