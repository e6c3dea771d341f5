"""Build TT05 / E-ARK CSIP packages (SIP and AIP) from scanned files and archive metadata (L2).

Public API:

* :func:`build_package` builds one package for one hồ sơ (:class:`~luutru_aip.model.FileRecord`);
* :func:`build_packages` builds one package per hồ sơ of an import, where a failure in one package never
  stops the others;
* :func:`ingest_sip` turns a valid SIP into an AIP stored as a BagIt bag named after its OBJID;
* the serialisation helpers shared with later operations (``migrate``): :func:`stage_many` (copy and
  digest in one read), :func:`write_bag_tags`, :func:`write_zip`, :class:`Digests`, :func:`digests_of`.

See ``docs/tutorial.md`` and ``docs/package-layout.md``.
"""

from __future__ import annotations

from luutru_aip.build._batch import build_packages
from luutru_aip.build._package import BuildOptions, BuildResult, build_package, objid_for, package_name
from luutru_aip.build._serialise import Digests, digests_of, write_bag_tags, write_zip
from luutru_aip.build._sip import IngestOutcome, ingest_sip, read_sip
from luutru_aip.build._stage import Staged, StageItem, stage_many

__all__ = [
    "BuildOptions",
    "BuildResult",
    "Digests",
    "IngestOutcome",
    "StageItem",
    "Staged",
    "build_package",
    "build_packages",
    "digests_of",
    "ingest_sip",
    "objid_for",
    "package_name",
    "read_sip",
    "stage_many",
    "write_bag_tags",
    "write_zip",
]
