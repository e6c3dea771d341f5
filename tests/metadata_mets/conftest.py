"""Fixtures for the METS / PREMIS writer tests: packages built once per session."""

from __future__ import annotations

import pytest

from luutru_aip.model import PackageType

from .builders import Package, build_package


@pytest.fixture(scope="session")
def aip() -> Package:
    return build_package(5, PackageType.AIP)


@pytest.fixture(scope="session")
def sip() -> Package:
    return build_package(5, PackageType.SIP)


@pytest.fixture(scope="session")
def aip_1000() -> Package:
    return build_package(1000, PackageType.AIP)
