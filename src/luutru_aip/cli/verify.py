"""``luutru-aip verify PKG...``: verify package signatures against trust anchors (issue 6, docs/signing.md).

Exit codes follow docs/cli.md: 0 = nothing at or above ``--fail-on``; 1 = findings at or above
it (a signature that does not verify, a broken chain, a changed file…); 2 = could not run (no
trust anchors configured, unreadable trust or CRL files, a path that is not a package).
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
from luutru_aip.errors import InputError, UsageError
from luutru_aip.findings import Report, Severity
from luutru_aip.signing import ENV_CRL, ENV_TRUST, ENV_TSA_TRUST, verify_package


@click.command(name="verify")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--trust",
    multiple=True,
    type=click.Path(path_type=str),
    help=f"Trust anchor certificates: PEM/DER file or folder (repeatable; default: ${ENV_TRUST}).",
)
@click.option(
    "--tsa-trust",
    multiple=True,
    type=click.Path(path_type=str),
    help=f"Trust anchors for time-stamping authorities (default: ${ENV_TSA_TRUST}, else --trust).",
)
@click.option(
    "--crl",
    "crls",
    multiple=True,
    type=click.Path(path_type=str),
    help=f"CRL file or folder, checked offline (repeatable; default: ${ENV_CRL}).",
)
@json_option
@fail_on_option
@workers_option
@common_options
@pass_ctx
def command(
    app: AppContext,
    paths: tuple[str, ...],
    trust: tuple[str, ...],
    tsa_trust: tuple[str, ...],
    crls: tuple[str, ...],
    as_json: bool,
    fail_on: Severity,
    workers: int | None,
) -> int:
    """Verify the signatures of the packages at PATH... (folders, bags or ZIPs).

    Xác minh chữ ký số của các gói tại PATH...: chữ ký, chuỗi chứng thư tới chứng thư
    gốc tin cậy, dấu thời gian, danh sách thu hồi và tính toàn vẹn của mọi tệp.
    """
    if not (trust or os.environ.get(ENV_TRUST, "").strip()):
        raise UsageError(f"no trust anchors: give --trust CA.pem (or set {ENV_TRUST})")
    for path in paths:
        if not os.path.lexists(path):
            raise InputError(f"{path} does not exist")
    config = trust_config(trust, crls, tsa_trust)
    count = default_workers(workers)
    reports: list[Report] = []
    for path in paths:
        app.debug(f"verifying {path} ({len(config.anchors)} trust anchors, {len(config.crls)} CRLs)")
        reports.append(verify_package(path, trust=config, workers=count, threshold=fail_on))
    emit_reports(app, reports, as_json=as_json, fail_on=fail_on)
    return exit_for(reports, fail_on)
