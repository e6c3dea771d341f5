"""The E-ARK / TT05 validation run: stages in order, each gating the next.

1. **Source** — ZIP structure (``ZIP0xx``), unsafe names (``PATH0xx``), links and special files.
2. **Structure** — the CSIPSTR folder layout (:func:`luutru_aip.validate.csip.check_structure`).
3. **METS** — the root ``METS.xml``, then each representation ``METS.xml``, one at a time
   (:class:`~luutru_aip.validate.csip.MetsChecker`); schema validation of each document.
4. **Completeness** — every file of ``representations/*/data`` is in a fileSec; every file is referenced.
5. **PREMIS** — consistency of the preservation metadata (:mod:`luutru_aip.validate.premis`).
6. **Schemas of descriptive metadata and of the package's own ``schemas/`` folder.**
7. **Fixity** — one read per file for all declared algorithms, in parallel (not in ``fast`` mode).
8. **Content** — PDFs and the format policy (not in ``fast`` mode).
9. **TT05** — the TT05 profile rules (:mod:`luutru_aip.validate.tt05`).

When the structure is broken (no root ``METS.xml``, a root METS that cannot be read or is not METS,
an unreadable ZIP) stages 4–9 are skipped and :attr:`PackageValidator.skipped` says why.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from typing import Final

from luutru_aip._fs.paths import path_finding
from luutru_aip.errors import LuutruError
from luutru_aip.findings import Finding, Skipped, finding
from luutru_aip.metadata.schemastore import accept_package_schema
from luutru_aip.metadata.tt05 import simpledc_schema_bytes
from luutru_aip.model import PackageType
from luutru_aip.validate._context import Limiter, Options, RunState, path_problem, read_xml, schema_findings
from luutru_aip.validate._metsread import split_tag
from luutru_aip.validate._source import PackageSource
from luutru_aip.validate.content import (
    POLICIES,
    TT05_POLICY,
    FormatPolicy,
    check_content,
    data_files,
    verify_fixity,
)
from luutru_aip.validate.csip import MetsChecker, check_structure, check_unreferenced, representation_mets
from luutru_aip.validate.premis import PremisChecker
from luutru_aip.validate.tt05 import TT05Checker

__all__ = ["PackageValidator"]

_EAD3: Final = "http://ead3.archivists.org/schema/"
_EAD2002: Final = "urn:isbn:1-931666-22-9"


@functools.cache
def _own_schemas() -> frozenset[str]:
    """sha256 of the TT05 simpledc XSDs this library derives and ships (packages carry copies)."""
    digests = set()
    for level in ("file", "document"):
        for kind in PackageType:
            digests.add(hashlib.sha256(simpledc_schema_bytes(level, kind)).hexdigest())
    return frozenset(digests)


class PackageValidator:
    """Validate one E-ARK (CSIP, SIP, AIP) or TT05 package read from ``source``.

    ``known`` maps package paths to digests already verified elsewhere (a bag's payload manifests),
    so those files are not read a second time. Iterate :meth:`findings` once; :attr:`skipped` is
    filled as it runs.
    """

    def __init__(
        self,
        source: PackageSource,
        options: Options,
        *,
        known: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.source = source
        self.options = options
        self.known = known or {}
        self.skipped: list[Skipped] = []

    @property
    def policy(self) -> FormatPolicy | None:
        chosen = self.options.policy
        if isinstance(chosen, FormatPolicy):
            return chosen
        if isinstance(chosen, str) and chosen != "default":
            return POLICIES[chosen]
        return TT05_POLICY if self.options.profile == "tt05" else None

    def findings(self) -> Iterator[Finding]:
        state = RunState(source=self.source, options=self.options)
        self.skipped = state.skipped
        limiter = Limiter()
        for item in self._stages(state):
            if limiter.admit(item):
                yield item
        yield from limiter.summaries()

    # ------------------------------------------------------------------ stages

    def _stages(self, state: RunState) -> Iterator[Finding]:
        source = self.source
        options = self.options
        yield from source.findings
        if getattr(source, "blocked", False):
            state.broken = True
            state.skip(
                "csip", "the ZIP cannot be read safely (see the ZIP findings); nothing inside was checked"
            )
            return
        for rel in list(source.files) + sorted(source.dirs):
            if path_problem(rel) is not None:
                problem = path_finding(rel)
                if problem is not None:
                    yield finding(problem.code, path=source.show(rel))
        tt05 = TT05Checker(state) if options.profile == "tt05" else None
        if tt05 is not None:
            state.time_hook = tt05.time_hook
        yield from check_structure(state)
        if "METS.xml" in source.files:
            root = MetsChecker(state, "METS.xml", level="root")
            yield from root.run()
            if not state.broken:
                for rel in representation_mets(state, root):
                    yield from MetsChecker(state, rel, level="representation").run()
        if state.broken:
            reason = "the package structure is broken (no readable root METS.xml); see the errors above"
            for check in ("csip.completeness", "premis", "fixity", "content", "tt05"):
                state.skip(check, reason)
            return
        yield from check_unreferenced(state)
        yield from PremisChecker(state).run()
        yield from self._descriptive_schemas(state)
        yield from self._package_schemas(state)
        policy = self.policy
        if options.fast:
            state.skip("fixity", "fast mode: checksums are not computed")
            state.skip("content", "fast mode: PDFs and formats are not checked")
        else:
            for rel, digests in self.known.items():
                yield from self._use_known(state, rel, digests)
            edges = set(data_files(state)) if policy is not None else set()
            yield from verify_fixity(state, edges=edges)
            if options.content:
                yield from check_content(state, policy=policy)
            else:
                state.skip("content", "content checks were switched off")
        if tt05 is not None:
            yield from tt05.run()
            if options.fast:
                state.skip("tt05.pdf", "fast mode: PDF page counts and PDF/A claims are not checked")

    def _use_known(self, state: RunState, rel: str, digests: dict[str, str]) -> Iterator[Finding]:
        """Compare declarations with already-verified digests and drop them from the hashing work."""
        items = state.expects.get(rel)
        if not items:
            return
        needed = {i.algorithm for i in items if i.algorithm and i.value}
        if not needed or not needed <= set(digests):
            return
        state.expects[rel] = [i for i in items if not (i.algorithm and i.value)]
        for item in items:
            if item.algorithm is None or item.value is None or digests[item.algorithm] == item.value:
                continue
            yield finding(
                "METS008" if item.source == "mets" else "PRM002",
                path=item.where,
                line=item.line,
                xpath=item.xpath,
                file=state.source.show(rel),
                algorithm=item.algorithm,
                expected=item.value,
                found=digests[item.algorithm],
            )

    def _descriptive_schemas(self, state: RunState) -> Iterator[Finding]:
        """EAD3 or EAD 2002 descriptive metadata referenced from a dmdSec, through the schema store."""
        seen: set[str] = set()
        for rel, _mdtype in state.descriptive_files:
            if rel in seen or rel not in state.source.files or not rel.lower().endswith(".xml"):
                continue
            seen.add(rel)
            if state.options.fast or not state.options.schemas:
                continue
            read = read_xml(state.source, rel)
            if read.tree is None:
                if read.events is None:
                    yield from read.findings
                continue
            ns, _ = split_tag(str(read.tree.getroot().tag))
            names = {_EAD3: ("ead3",), _EAD2002: ("ead2002",)}.get(ns)
            if names is not None:
                yield from read.findings
                yield from schema_findings(state, read.tree, names, state.source.show(rel), "schema.ead")

    def _package_schemas(self, state: RunState) -> Iterator[Finding]:
        """Schemas the package carries are used only if they are the pinned official files (SCH002)."""
        if state.options.fast or not state.options.schemas:
            return
        source = state.source
        for rel in source.iter_files():
            parts = rel.split("/")
            in_schemas = parts[0] == "schemas" or (
                len(parts) > 2 and parts[0] == "representations" and parts[2] == "schemas"
            )
            if not in_schemas or not rel.lower().endswith(".xsd"):
                continue
            if source.files[rel] <= 1 << 20:
                try:
                    digest = hashlib.sha256(source.read_bytes(rel, max_bytes=1 << 20)).hexdigest()
                except LuutruError:
                    digest = ""
                if digest in _own_schemas():
                    continue  # our own derived TT05 schemas, as shipped in this library
            with source.as_file(rel) as name:
                problem = accept_package_schema(name, package_path=source.show(rel))
            if problem is not None:
                yield problem
