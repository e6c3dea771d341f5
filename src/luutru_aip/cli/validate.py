"""``luutru-aip validate PATH...``: check packages and report findings (issue 5).

Folders, ZIP files and BagIt bags are detected automatically; profiles are BagIt (RFC 8493),
E-ARK CSIP/SIP/AIP 2.0.4–2.2.0 and the TT05 profile (Thông tư 05/2025/TT-BNV).

A package with ``signatures/package.p7s`` claims to be signed: its signature is verified too
(issue 6, docs/signing.md) against the trust anchors of ``--trust`` (default: ``$LUUTRU_AIP_TRUST``)
and the CRLs of ``--crl`` (default: ``$LUUTRU_AIP_CRL``). Without any anchor a signed package gets
an error, since who signed it cannot be verified; unsigned packages are not affected.

Exit codes follow docs/cli.md: 0 = nothing at or above ``--fail-on``, 1 = findings
at or above it, 2 = could not run (a path that does not exist, an unknown profile,
unreadable trust or CRL files).
"""

from __future__ import annotations

import os

import click

from luutru_aip.cli._common import (
    AppContext,
    common_options,
    default_workers,
    emit_reports,
    exit_for,
    fail_on_option,
    json_option,
    pass_ctx,
    trust_config,
    workers_option,
)
from luutru_aip.errors import InputError
from luutru_aip.findings import Report, Severity
from luutru_aip.signing import ENV_CRL, ENV_TRUST
from luutru_aip.validate import FORMAT_POLICIES, PROFILES, SPEC_VERSIONS, validate


@click.command(name="validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default="auto",
    show_default=True,
    help="What to check the package against; auto detects a bag, an E-ARK SIP/AIP/CSIP or a TT05 package.",
)
@click.option(
    "--spec-version",
    type=click.Choice(SPEC_VERSIONS),
    default=None,
    help=f"E-ARK specification version (default: {SPEC_VERSIONS[-1]}; 2.0.4 for the tt05 profile).",
)
@click.option(
    "--fast",
    is_flag=True,
    help="Structure, completeness, Payload-Oxum and sizes only: no hashing, no schemas, no content checks.",
)
@click.option("--no-schemas", is_flag=True, help="Do not validate XML documents against their XML Schemas.")
@click.option(
    "--format-policy",
    type=click.Choice(FORMAT_POLICIES),
    default="default",
    show_default=True,
    help="Formats allowed in representations: the profile's own (TT05 Art. 8 for tt05), tt05, or none.",
)
@click.option(
    "--trust",
    multiple=True,
    type=click.Path(path_type=str),
    help="Trust anchors for signed packages: PEM/DER CA certificate file or folder "
    f"(repeatable; default: ${ENV_TRUST}).",
)
@click.option(
    "--crl",
    "crls",
    multiple=True,
    type=click.Path(path_type=str),
    help=f"CRL file or folder for signed packages, checked offline (repeatable; default: ${ENV_CRL}).",
)
@json_option
@fail_on_option
@workers_option
@common_options
@pass_ctx
def command(
    app: AppContext,
    paths: tuple[str, ...],
    profile: str,
    spec_version: str | None,
    fast: bool,
    no_schemas: bool,
    format_policy: str,
    trust: tuple[str, ...],
    crls: tuple[str, ...],
    as_json: bool,
    fail_on: Severity,
    workers: int | None,
) -> int:
    """Validate the packages at PATH... (folders, ZIP files or BagIt bags).

    Kiểm tra gói tin (thư mục, tệp ZIP hoặc túi BagIt) theo BagIt, E-ARK CSIP/SIP/AIP và Thông tư 05,
    rồi báo cáo các lỗi, cảnh báo tìm thấy. Gói có chữ ký số (signatures/package.p7s) được
    xác minh chữ ký theo các chứng thư gốc tin cậy của --trust.
    """
    for path in paths:
        if not os.path.lexists(path):
            raise InputError(f"{path} does not exist")
    config = trust_config(trust, crls)
    count = default_workers(workers)
    reports: list[Report] = []
    for path in paths:
        app.debug(
            f"validating {path} (profile {profile}, {'fast' if fast else 'full'}, {count} workers, "
            f"{len(config.anchors)} trust anchors)"
        )
        reports.append(
            validate(
                path,
                profile=profile,
                spec_version=spec_version,
                fast=fast,
                workers=count,
                threshold=fail_on,
                schemas=not no_schemas,
                format_policy=format_policy,
                trust=config,
            )
        )
    emit_reports(app, reports, as_json=as_json, fail_on=fail_on)
    return exit_for(reports, fail_on)
