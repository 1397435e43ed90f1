"""The project's user-facing errors: bad input a person can fix, each message one line.

The command line turns these, and only these, into `rnnkit: error: ...` and exit code 2;
anything else is a programming error and keeps its traceback. They subclass ValueError, so
Python callers that catch ValueError keep working.
"""

from __future__ import annotations


class UserError(ValueError):
    """Input a person gave (a file, a flag, a run folder) that cannot be used as it is."""


class DataError(UserError):
    """Bad user data. Its message is one line that says what is wrong and what to do."""


class ConfigError(UserError):
    """A setting that is unknown, of the wrong type, out of range, or at odds with another."""


class CheckpointError(UserError):
    """A missing or unreadable checkpoint, or a run folder that cannot be used as asked."""
