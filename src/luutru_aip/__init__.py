"""luutru_aip: build, identify, sign, validate, migrate and audit E-ARK / TT05 archival packages.

The library serves Vietnamese archives and the national backup centre
(*lưu trữ dự phòng*, Archives Law 33/2024/QH15). See ``docs/`` for the tutorial,
the CLI and API references and the rule catalogue.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("luutru-aip")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
