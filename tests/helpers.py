"""What the command-line tests share: run `rnnkit` in-process and read its one error line."""

import io

from rnnkit.cli.main import main


def run_cli(args, capsys, stdin=None, monkeypatch=None):
    """(exit code, stdout, stderr) of `rnnkit ARGS` (arguments turned to strings); `stdin` is
    fed to the command through `monkeypatch`."""
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    """The single `rnnkit: error:` line of stderr; fails if there is more, or a traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rnnkit: error:"), err
    assert "Traceback" not in err
    return lines[0]
