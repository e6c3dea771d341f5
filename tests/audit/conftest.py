"""Audit test fixtures: the shared test PKI of the signing tests, for signed packages."""

from __future__ import annotations

from signing.conftest import pki  # noqa: F401 - re-exported session fixture
