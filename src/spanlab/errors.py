"""Error classes. Every message says what was found, what was expected and how to fix it.

Errors about user input carry a *location* ("file:line:field") so a bad record in a
400k-line corpus can be found without a debugger.
"""

from __future__ import annotations


class SpanlabError(Exception):
    """Base class: an error the user can fix. The CLI prints it without a traceback."""

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None):
        self.where = where
        self.fix = fix
        self.message = message
        text = f"{where}: {message}" if where else message
        if fix:
            text += f"\n  fix: {fix}"
        super().__init__(text)


class DataError(SpanlabError):
    """A malformed record or file. `where` is `path:line:field`."""


class ConfigError(SpanlabError):
    """A config key or value that cannot be used. `where` is `file:section.key`."""


class ModelLoadError(SpanlabError):
    """A model or encoder that cannot be found or loaded safely."""


class OutputError(SpanlabError):
    """An output that cannot be written (disk full, read-only folder). `where` is the path."""


def location(path: object, line: int | None = None, field: str | None = None) -> str:
    """`path:line:field`, leaving out the parts that are unknown."""
    parts = [str(path)]
    if line is not None:
        parts.append(str(line))
    if field is not None:
        parts.append(field)
    return ":".join(parts)
