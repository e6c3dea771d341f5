"""Fixtures for identification tests: the generated corpus, our identifier and fido itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from luutru_aip.identify import PronomIdentifier, default_identifier
from luutru_aip.identify.fido import fido_conf_dir, reference_identify

from .corpus import make_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One file of every kind (PDF, TIFF, JPEG, JPEG 2000, PNG, text, XML, DOCX, XLSX, ODT, ZIP, …)."""
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def identifier() -> PronomIdentifier:
    return default_identifier()


@pytest.fixture(scope="session")
def fido_results(corpus: dict[str, Path]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """fido 1.6's own answer for every corpus file (run in this process, as its CLI runs)."""
    return reference_identify([str(p) for p in corpus.values()])


@pytest.fixture(scope="session")
def fido_tool() -> Any:
    """A fido ``Fido`` object loaded as the fido CLI loads it (for ``match_formats``/``match_extensions``)."""
    from fido.fido import Fido
    from fido.versions import get_local_versions

    versions = get_local_versions()
    return Fido(
        quiet=True,
        handle_matches=lambda *a, **k: None,
        conf_dir=str(fido_conf_dir()),
        format_files=[versions.pronom_signature, versions.fido_extension_signature],
    )
