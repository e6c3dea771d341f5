"""Validate packages (L2): the public API ``validate``, ``iter_findings`` and ``is_valid``.

Problems in a package are findings, never exceptions: these functions raise
(:mod:`luutru_aip.errors`) only when validation cannot start, for example when
the path does not exist or the profile is unknown.

Profiles:

* ``"auto"`` (default) detects the package type. Today that is a BagIt bag
  (a folder with ``bagit.txt``, RFC 8493); a folder with ``data/`` or a
  ``manifest-*.txt`` but no ``bagit.txt`` is checked as a broken bag.
* ``"bagit"`` checks the folder as a bag (:mod:`luutru_aip.validate.bagit`).

The E-ARK CSIP/SIP/AIP and TT05 profiles of issue 5 are not implemented yet; asking for
them is a :class:`~luutru_aip.errors.UsageError`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from luutru_aip import __version__
from luutru_aip.errors import InputError, UsageError
from luutru_aip.findings import Finding, Report, Severity
from luutru_aip.validate.bagit import BagValidator, looks_like_bag

__all__ = ["PROFILES", "is_valid", "iter_findings", "validate"]

#: Profiles that can be asked for today.
PROFILES: Final = ("auto", "bagit")
_PLANNED: Final = ("csip", "sip", "aip", "tt05")


def _resolve_profile(root: str, profile: str) -> str:
    name = profile.strip().lower()
    if name in _PLANNED:
        raise UsageError(
            f"the validation profile {profile!r} is not available yet; "
            f"available profiles: {', '.join(PROFILES)}"
        )
    if name not in PROFILES:
        raise UsageError(f"unknown validation profile {profile!r}; available profiles: {', '.join(PROFILES)}")
    if name == "bagit":
        return "bagit"
    if looks_like_bag(root):
        return "bagit"
    try:
        names = [entry.name for entry in Path(root).iterdir()]
    except OSError as exc:
        raise InputError(f"cannot read the folder {root}: {exc.strerror or exc}") from None
    if "data" in names or any(n.startswith("manifest-") and n.endswith(".txt") for n in names):
        return "bagit"  # a bag that lost its bagit.txt: check it as a bag, so that BAG001 says so
    raise UsageError(
        f"cannot tell what kind of package {root} is (no bagit.txt); only BagIt bags can be validated so far "
        "- use --profile bagit to check it as a bag anyway"
    )


def _start(path: str | os.PathLike[str], profile: str, workers: int) -> tuple[str, str]:
    if workers < 1:
        raise UsageError(f"workers must be at least 1 (got {workers})")
    root = os.fspath(path)
    if not os.path.lexists(root):
        raise InputError(f"{root} does not exist")
    if not Path(root).is_dir():
        raise InputError(f"{root} is not a folder (ZIP packages are not supported yet)")
    return root, _resolve_profile(root, profile)


def _validator(root: str, profile: str, fast: bool, workers: int) -> BagValidator:
    """The checker for ``profile``: only BagIt so far (E-ARK and TT05 profiles come with issue 5)."""
    if profile != "bagit":  # pragma: no cover - _resolve_profile admits only bagit today
        raise UsageError(f"no checker for the profile {profile!r}")
    return BagValidator(root, fast=fast, workers=workers)


def iter_findings(
    path: str | os.PathLike[str], *, profile: str = "auto", fast: bool = False, workers: int = 1
) -> Iterator[Finding]:
    """The findings for the package at ``path``, lazily, in the order the checks run.

    The start-up checks (the path exists, the profile is known) run at once,
    so a bad call raises here, not on the first ``next()``.
    """
    root, resolved = _start(path, profile, workers)
    return _validator(root, resolved, fast, workers).findings()


def validate(
    path: str | os.PathLike[str],
    *,
    profile: str = "auto",
    fast: bool = False,
    workers: int = 1,
    threshold: Severity = Severity.ERROR,
) -> Report:
    """Check the package at ``path`` and return a :class:`~luutru_aip.findings.Report`.

    ``fast=True`` checks structure, completeness, Payload-Oxum and sizes only
    (no hashing). ``workers`` processes hash files in parallel. The report is
    valid when no finding reaches ``threshold``.
    """
    root, resolved = _start(path, profile, workers)
    bag = _validator(root, resolved, fast, workers)
    findings = tuple(bag.findings())
    return Report(
        subject=root,
        profile=resolved,
        tool_versions={"luutru-aip": __version__},
        findings=findings,
        skipped=tuple(bag.skipped),
        threshold=threshold,
    )


def is_valid(
    path: str | os.PathLike[str],
    *,
    profile: str = "auto",
    fast: bool = False,
    workers: int = 1,
    threshold: Severity = Severity.ERROR,
) -> bool:
    """True when :func:`validate` finds nothing at or above ``threshold``."""
    return validate(path, profile=profile, fast=fast, workers=workers, threshold=threshold).valid
