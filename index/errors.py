"""Domain errors; turned into friendly messages at the command-line and Slack edges."""

from __future__ import annotations


class KubeconBotError(Exception):
    """Base class: the message says what is wrong and what to do next."""


class SettingError(KubeconBotError, ValueError):
    """An environment setting has a value that cannot be used (the message says which)."""


class CorpusError(KubeconBotError):
    """A notes file cannot be read; carries every problem found."""

    def __init__(self, problems: list) -> None:  # list[Problem]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class IndexMissingError(KubeconBotError):
    """No index directory where one was expected."""


class IndexCorruptError(KubeconBotError):
    """The index directory exists but cannot be read."""


class IndexVersionError(KubeconBotError):
    """The index was written by a newer schema version."""


class ModelMismatchError(KubeconBotError):
    """The index was built with another embedding model than the configured one."""


class ModelUnavailableError(KubeconBotError, RuntimeError):
    """The embedding model cannot run here: a package or a file it needs is missing."""


class QueryError(KubeconBotError):
    """The question cannot be answered as asked (empty, too long, no words)."""
