"""One exception per user-facing failure, each with its message and exit code.

The CLI prints ``message`` as a single line on stderr and exits with ``exit_code``; nothing
else in the package decides how a failure looks to the user.
"""

from __future__ import annotations

# Exit codes besides 0 (success), documented in the README. 2 is also what click uses for
# malformed options.
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_REPO = 3
EXIT_CONFIG = 4
EXIT_OUTPUT = 5
EXIT_LLM = 6
EXIT_PARTIAL = 7
EXIT_LOCKED = 8


class CommitdigestError(Exception):
    exit_code = EXIT_INTERNAL

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InputError(CommitdigestError):
    """A date, time zone, language or format the user gave is not valid."""

    exit_code = EXIT_USAGE


class RepoError(CommitdigestError):
    """A repository cannot be used: missing, not git, empty, unknown branch or revision."""

    exit_code = EXIT_REPO


class GitError(RepoError):
    """A git command failed or timed out."""


class ConfigError(CommitdigestError):
    exit_code = EXIT_CONFIG


class OutputError(CommitdigestError):
    exit_code = EXIT_OUTPUT


class LLMConfigError(CommitdigestError):
    exit_code = EXIT_LLM


class LockedError(CommitdigestError):
    """Another run holds the lock on the output directory."""

    exit_code = EXIT_LOCKED
