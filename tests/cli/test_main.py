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
