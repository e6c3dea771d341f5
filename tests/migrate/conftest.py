"""Fixtures for the migration tests: a pre-2025 holding generated once per session."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from luutru_aip.metadata.schemastore import SchemaStore
from signing.conftest import Pki, pki  # noqa: F401 - re-exported fixture

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "make_legacy_packages.py"
CLOCK = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))

__all__ = ["CLOCK", "Pki", "legacy_module", "tree_digest"]


def legacy_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_legacy_packages", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_legacy_packages", module)
    spec.loader.exec_module(module)
    return module


def tree_digest(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root`` → (SHA-256, mtime_ns): proves a tree was not touched."""
    out: dict[str, tuple[str, int]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = (
                hashlib.sha256(path.read_bytes()).hexdigest(),
                path.stat().st_mtime_ns,
            )
    return out


@pytest.fixture(scope="session")
def holding(tmp_path_factory: pytest.TempPathFactory, schema_store: SchemaStore) -> dict[str, Path]:
    """The two aged bags of examples/make_legacy_packages.py (read-only: copy before changing)."""
    return dict(legacy_module().make(tmp_path_factory.mktemp("legacy") / "holding"))


@pytest.fixture
def legacy(holding: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """A private copy of the holding for tests that tamper with it."""
    out = {}
    for name, path in holding.items():
        out[name] = tmp_path / "in" / name
        shutil.copytree(path, out[name])
    return out
