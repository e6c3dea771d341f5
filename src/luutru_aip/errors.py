"""The library's one, sparing exception hierarchy.

Exceptions are raised only when work cannot start or cannot go on (bad options,
an unreadable input, a missing schema store). Problems *in* a package are never
exceptions: they are findings (:mod:`luutru_aip.findings`). The CLI maps every
:class:`LuutruError` to exit code 2 ("could not run").
"""

from __future__ import annotations

__all__ = [
    "ArchiveLimitError",
    "InputError",
    "LuutruError",
    "NetworkUnavailableError",
    "OutputExistsError",
    "SchemaHashMismatchError",
    "SchemaMissingError",
    "SchemaStoreError",
    "UnsafePathError",
    "UsageError",
    "XMLSecurityError",
]


class LuutruError(Exception):
    """Base class for every error this library raises on purpose."""


class UsageError(LuutruError):
    """An option or argument is wrong; the message names the option to set."""


class InputError(LuutruError):
    """An input cannot be used. The message names the file, field or row."""


class OutputExistsError(LuutruError, FileExistsError):
    """An output already exists and ``overwrite`` was not asked for; the message names the path."""


class UnsafePathError(InputError):
    """A path would escape its root: absolute, ``..``, NUL, backslash, drive letter, link."""


class ArchiveLimitError(InputError):
    """A ZIP exceeds a safety limit (entries, total size, compression ratio) or is unreadable."""


class XMLSecurityError(InputError):
    """An XML document uses a forbidden construct (DTD, entity) or exceeds a size/depth limit."""


class SchemaStoreError(LuutruError):
    """The schema store cannot be read, installed into, or used."""


class SchemaMissingError(SchemaStoreError):
    """A standard schema is not installed. The message says how to install it."""


class SchemaHashMismatchError(SchemaStoreError):
    """A schema file's sha256 does not match the pinned official hash."""


class NetworkUnavailableError(SchemaStoreError):
    """A download was asked for but the network cannot be reached."""
