"""Build TT05 / E-ARK CSIP packages (SIP and AIP) from scanned files and archive metadata (L2).

Public API:

* :func:`build_package` builds one package for one hồ sơ (:class:`~luutru_aip.model.FileRecord`);
* :func:`build_packages` builds one package per hồ sơ of an import, where a failure in one package never
  stops the others;
* :func:`ingest_sip` turns a valid SIP into an AIP stored as a BagIt bag named after its OBJID.

See ``docs/tutorial.md`` and ``docs/package-layout.md``.
"""

from __future__ import annotations

from luutru_aip.build._batch import build_packages
from luutru_aip.build._package import BuildOptions, BuildResult, build_package, objid_for, package_name
from luutru_aip.build._sip import IngestOutcome, ingest_sip, read_sip

__all__ = [
    "BuildOptions",
    "BuildResult",
    "IngestOutcome",
    "build_package",
    "build_packages",
    "ingest_sip",
    "objid_for",
    "package_name",
    "read_sip",
]
