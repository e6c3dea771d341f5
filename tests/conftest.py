"""Shared pytest fixtures (kept small and generic; each area adds only what many tests need)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from luutru_aip.metadata.schemastore import ENV_SCHEMA_DIR, SchemaStore


def shared_xsd_dir() -> Path:
    """The official XSDs beside the repository (``../shared/xsd``), or env ``LUUTRU_AIP_SHARED_XSD``."""
    override = os.environ.get("LUUTRU_AIP_SHARED_XSD", "").strip()
    if override:
        return Path(override)
    return Path(__file__).parents[1] / ".." / "shared" / "xsd"


@pytest.fixture(scope="session")
def shared_xsd() -> Path:
    """The shared folder of official XSDs (skipped when absent, except in CI where it must exist)."""
    folder = shared_xsd_dir()
    if not folder.is_dir():
        message = f"official XSD folder not found at {folder} (set LUUTRU_AIP_SHARED_XSD)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def schema_store(tmp_path_factory: pytest.TempPathFactory, shared_xsd: Path) -> Iterator[SchemaStore]:
    """A schema store in a temporary folder, installed from the shared XSDs; opt-in (not autouse).

    While it is active, ``LUUTRU_AIP_SCHEMA_DIR`` points at it, so ``SchemaStore.default()`` finds it.
    """
    root = tmp_path_factory.mktemp("schemastore")
    patch = pytest.MonkeyPatch()
    patch.setenv(ENV_SCHEMA_DIR, str(root))
    store = SchemaStore(root)
    result = store.install_from(shared_xsd)
    assert result.complete, f"shared XSDs incomplete: missing {result.missing}"
    yield store
    patch.undo()
