"""Extension point: does a package's signature still verify? (issue 7, the last outcome).

When ``luutru_aip.signing`` is installed (layer L2, issue 6), :func:`default_verifier`
returns a verifier that, for each *signed* package (one holding
``signatures/package.p7s``), calls ``luutru_aip.signing.verify_package`` and turns
each of its error findings into an ``AUD009`` event ("the signature no longer
verifies") on the package check, which then counts as failed. Unsigned packages
are not a failure. Trust anchors come from the caller (``audit run --trust``) or
from ``LUUTRU_AIP_TRUST`` / ``LUUTRU_AIP_CRL`` / ``LUUTRU_AIP_TSA_TRUST``; with
none, the signature, its timestamp and what it covers are still verified, only
*who* signed is not (``SIG017``, a warning, not a failure).

When the module is absent, nothing is imported and signatures are not checked
(the run's JSON says ``"signatures": "unavailable"``). Any callable with the
:class:`SignatureVerifier` signature can be given to
:func:`luutru_aip.audit.run_audit` instead (``signature_verifier=``), or ``None``
to switch signature checks off.

Cost: ``verify_package`` also re-hashes every file the signature covers, which
the audit has just done. If it gains a ``check_coverage`` keyword, this hook
passes ``check_coverage=False`` (the audit's own fixity check covers the files).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from luutru_aip.errors import LuutruError
from luutru_aip.findings import Finding, Severity

__all__ = ["SIGNING_MODULE", "SignatureVerifier", "default_verifier", "signature_events"]

SIGNING_MODULE = "luutru_aip.signing"
_SIGNATURE_PATH = "signatures/package.p7s"


class SignatureVerifier(Protocol):
    """Verify the signature of the package at ``location`` (a folder or a ZIP file); [] when fine."""

    def __call__(self, location: str, *, kind: str) -> Sequence[Finding]: ...


def _signing_module() -> Any:
    try:
        spec = importlib.util.find_spec(SIGNING_MODULE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    return importlib.import_module(SIGNING_MODULE)


def default_verifier(
    *, trust: Any = None, workers: int = 1, clock: Callable[[], float] | None = None
) -> SignatureVerifier | None:
    """The verifier of ``luutru_aip.signing`` when that module exists, else ``None``.

    ``trust`` is whatever ``verify_package(trust=...)`` accepts (a ``TrustConfig``
    or certificate files); ``None`` reads the environment, else verifies without
    anchors. ``clock`` (seconds since the epoch) is the verification time. The
    signing module (and its cryptography libraries) is imported only when the
    first signed package is met, so unsigned storage costs nothing.
    """
    try:
        if importlib.util.find_spec(SIGNING_MODULE) is None:
            return None
    except (ImportError, ValueError):
        return None
    loaded: dict[str, Any] = {}

    def module() -> Any:
        if not loaded:
            mod = importlib.import_module(SIGNING_MODULE)
            loaded["module"] = mod
            anchors = trust
            if anchors is None:
                from_env = getattr(getattr(mod, "TrustConfig", None), "from_environment", None)
                anchors = from_env() if callable(from_env) else None
            loaded["trust"] = () if anchors is None else anchors
        return loaded["module"]

    def is_signed(location: str, kind: str) -> bool:
        if kind != "zip":
            return os.path.lexists(f"{location}/{_SIGNATURE_PATH}")
        has_signature = getattr(module(), "has_signature", None)
        if not callable(has_signature):
            return False
        try:
            return bool(has_signature(location))
        except (LuutruError, OSError, ValueError):
            return False

    def verifier(location: str, *, kind: str) -> Sequence[Finding]:
        if not is_signed(location, kind):
            return []
        verify = getattr(module(), "verify_package", None)
        if not callable(verify):
            return []
        import inspect  # only once a signed package is met

        accepted = inspect.signature(verify).parameters
        kwargs: dict[str, Any] = {"trust": loaded["trust"]}
        if "workers" in accepted:
            kwargs["workers"] = workers
        if "check_coverage" in accepted:
            kwargs["check_coverage"] = False
        if clock is not None and "clock" in accepted:
            kwargs["clock"] = lambda: datetime.fromtimestamp(clock(), UTC)
        report = verify(Path(location), **kwargs)
        return list(getattr(report, "findings", report))

    return verifier


def signature_events(
    verifier: SignatureVerifier, location: str, *, kind: str, package: str
) -> list[tuple[str, Mapping[str, Any]]]:
    """``AUD009`` events for the error findings of ``verifier`` (none when the signature verifies).

    A verifier that cannot run at all is a failed check too: a signature we
    cannot verify is not a signature that verifies.
    """
    try:
        findings = verifier(location, kind=kind)
    except (LuutruError, OSError, ValueError) as exc:
        return [("AUD009", {"package": package, "reason": f"the signature check could not run: {exc}"})]
    return [
        ("AUD009", {"package": package, "reason": f"{f.code}: {f.message('en')}"})
        for f in findings
        if f.severity >= Severity.ERROR
    ]
