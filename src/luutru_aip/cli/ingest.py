"""``luutru-aip ingest SIP --storage DIR``: turn a valid SIP into an AIP bag in storage (issue 4).

The SIP (folder or ZIP) is validated first with the ``sip`` profile; an error stops the ingest before
anything is written. The AIP keeps the original submission under ``submission/``, records an
``information package creation`` event that links to the SIP's OBJID, and is stored as a BagIt bag
named after its own OBJID. Exit codes: 0 = stored, 1 = the SIP was refused or the AIP not built,
2 = could not run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from luutru_aip import __version__
from luutru_aip.build import ingest_sip
from luutru_aip.cli._common import (
    AppContext,
    common_options,
    default_workers,
    emit_json,
    emit_reports,
    fail_on_option,
    json_option,
    parse_clock,
    pass_ctx,
    trust_config,
    workers_option,
)
from luutru_aip.errors import InputError
from luutru_aip.findings import Finding, Report, Severity
from luutru_aip.ingest import load_profile
from luutru_aip.signing import TrustConfig
from luutru_aip.validate import validate


def _validator(workers: int, trust: TrustConfig) -> Callable[[Path], tuple[Finding, ...]]:
    def run(folder: Path) -> tuple[Finding, ...]:
        return validate(folder, profile="sip", workers=workers, trust=trust).findings

    return run


@click.command(name="ingest")
@click.argument("sip", type=click.Path(path_type=Path))
@click.option(
    "--storage",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Storage folder that receives the AIP bag.",
)
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Archive profile (TOML) of the receiving archive.",
)
@click.option("--archive-name", help="Name of the receiving archive; overrides the profile.")
@click.option("--agency-code", help="Agency identifier code of the receiving archive.")
@click.option("--fonds-code", help="Fonds code (mã phông).")
@click.option("--clock", "clock", help="Ingest time (ISO 8601); default now, +07:00.")
@click.option(
    "--trust",
    multiple=True,
    type=click.Path(path_type=str),
    help="Trust anchor for a signed SIP (PEM/DER CA or a folder); default $LUUTRU_AIP_TRUST.",
)
@click.option(
    "--crl", "crls", multiple=True, type=click.Path(path_type=str), help="CRL file; default $LUUTRU_AIP_CRL."
)
@json_option
@fail_on_option
@workers_option
@common_options
@pass_ctx
def command(
    app: AppContext,
    sip: Path,
    storage: Path,
    profile_file: Path | None,
    archive_name: str | None,
    agency_code: str | None,
    fonds_code: str | None,
    clock: str | None,
    trust: tuple[str, ...],
    crls: tuple[str, ...],
    as_json: bool,
    fail_on: Severity,
    workers: int | None,
) -> int:
    """Validate the SIP and store it as an AIP (BagIt bag named after the OBJID) in --storage.

    Tiếp nhận gói nộp lưu (SIP): kiểm tra, tạo gói lưu trữ (AIP) và lưu vào kho.
    """
    if not sip.exists():
        raise InputError(f"{sip} does not exist")
    profile = load_profile(
        profile_file,
        overrides={"archive_name": archive_name, "agency_code": agency_code, "fonds_code": fonds_code},
    )
    moment = parse_clock(clock)
    count = default_workers(workers)
    outcome = ingest_sip(
        sip,
        storage=storage,
        profile=profile,
        clock=moment,
        workers=count,
        validator=_validator(count, trust_config(trust, crls)),
    )
    findings = list(outcome.findings)
    if outcome.result is not None:
        findings.extend(outcome.result.findings)
    report = Report(
        subject=str(sip),
        profile="ingest",
        tool_versions={"luutru-aip": __version__},
        findings=tuple(findings),
        threshold=fail_on,
    )
    if as_json:
        emit_json(
            {
                "format": "luutru-aip-ingest/1.0",
                "sip": str(sip),
                "sip_objid": outcome.sip_objid,
                "aip": None if outcome.result is None else outcome.result.to_dict(),
                "report": report.to_dict(lang=app.lang),
            }
        )
    else:
        emit_reports(app, [report], as_json=False, fail_on=fail_on)
        if outcome.ok and outcome.result is not None:
            click.echo(f"stored   {outcome.sip_objid}  →  {outcome.result.path}")
        else:
            click.echo(f"refused  {sip}")
    app.log("AIP stored" if outcome.ok else "SIP not ingested")
    if not outcome.ok or any(f.severity >= fail_on for f in findings):
        return 1
    return 0
