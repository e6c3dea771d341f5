"""``luutru-aip build SOURCE --metadata FILE --out DIR``: package scanned files and their metadata (issue 4).

One package per hồ sơ. The metadata spreadsheet (XLSX, CSV or our JSON) is imported and normalised
first; its findings name the cell. Without ``--strict`` a hồ sơ that cannot be packaged is listed and
skipped, and the others are built; with ``--strict`` any error stops the run before anything is built.

Resuming: every run records its clock in ``DIR/.luutru-aip-build.json``. ``--resume`` reuses that clock,
so the packages an interrupted run finished have the same names and are kept, and only the missing ones
are built. Exit codes: 0 = every package built and no finding at or above ``--fail-on``; 1 = a package
was skipped or failed, or findings reach ``--fail-on``; 2 = could not run.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import click

from luutru_aip import __version__
from luutru_aip._fs.atomic import atomic_file
from luutru_aip.build import BuildOptions, BuildResult, build_packages
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
    workers_option,
)
from luutru_aip.cli.sign import signer_from_options, signing_options
from luutru_aip.errors import InputError, UsageError
from luutru_aip.findings import Finding, Report, Severity
from luutru_aip.fixity import hash_file
from luutru_aip.ingest import load_mapping, load_profile, read_metadata
from luutru_aip.model import VN_TZ, PackageType, format_vn_time

STATE_FILE = ".luutru-aip-build.json"


def _clock(out: Path, metadata: Path, given: str | None, resume: bool) -> datetime:
    state_path = out / STATE_FILE
    digest = hash_file(metadata).digests["sha256"]
    if resume and state_path.is_file():
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
            recorded = datetime.fromisoformat(state["clock"])
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(
                f"--resume: {state_path} is damaged ({exc}); build again without --resume"
            ) from None
        if state.get("metadata_sha256") != digest:
            raise UsageError(
                f"--resume: {metadata} changed since the interrupted run recorded in {state_path}; "
                "build again without --resume"
            )
        return recorded
    moment = parse_clock(given) or datetime.now(tz=VN_TZ)
    moment = moment.astimezone(VN_TZ).replace(microsecond=0)
    state = {"clock": format_vn_time(moment), "metadata_sha256": digest, "tool": f"luutru-aip {__version__}"}
    with atomic_file(state_path, "w", overwrite=True) as handle:
        json.dump(state, handle, ensure_ascii=False, indent=2)
    return moment


def _summary_line(result: BuildResult) -> str:
    if result.status == "built":
        size = result.bytes / 1e6
        return f"built    {result.file_code}  →  {result.path}  ({result.files} files, {size:.1f} MB)"
    if result.status == "exists":
        return f"exists   {result.file_code}  →  {result.path}  (kept)"
    codes = ", ".join(sorted({f.code for f in result.findings if f.severity is Severity.ERROR})) or "?"
    return f"failed   {result.file_code}  ({codes})"


@click.command(name="build")
@click.argument("source", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--metadata",
    "metadata",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Metadata of the hồ sơ: XLSX, CSV or luutru-aip JSON.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder that receives one package per hồ sơ (created if missing).",
)
@click.option(
    "--type",
    "package_type",
    type=click.Choice(["sip", "aip"]),
    default="aip",
    show_default=True,
    help="SIP (gói nộp lưu) for handover to another system, AIP (gói lưu trữ) to keep.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dir", "zip", "bag"]),
    default="dir",
    show_default=True,
    help="A folder, a ZIP for TT05 handover, or a BagIt bag for storage.",
)
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Archive profile (TOML): archive name, agency code, fonds code…",
)
@click.option("--archive-name", help="Name of the archive (tên cơ quan lưu trữ); overrides the profile.")
@click.option("--agency-code", help="Agency identifier code (mã định danh, QĐ 20/2020, QĐ 09/2025).")
@click.option("--fonds-code", help="Fonds code (mã phông).")
@click.option("--fonds-name", help="Fonds name (tên phông).")
@click.option("--archive-code", help="Code prefixed to arcFileCode (defaults to the agency code).")
@click.option(
    "--columns",
    "columns",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Column-mapping file (TOML) that overrides header recognition.",
)
@click.option("--strict", is_flag=True, help="Any error in the metadata stops the run before building.")
@click.option("--link", is_flag=True, help="Hard-link payload files instead of copying (same file system).")
@click.option("--no-ead3", is_flag=True, help="Do not write the EAD3 finding aid.")
@click.option("--clock", "clock", help="Build time (ISO 8601) for reproducible output; default now, +07:00.")
@click.option(
    "--resume", is_flag=True, help="Reuse the clock of an interrupted run in --out; keep its packages."
)
@click.option("--overwrite", is_flag=True, help="Replace packages that exist under the same name.")
@click.option(
    "--partial-ok",
    is_flag=True,
    help="Exit 0 when every hồ sơ that could be packaged was built; skipped ones are still reported.",
)
@signing_options
@json_option
@fail_on_option
@workers_option
@common_options
@pass_ctx
def command(
    app: AppContext,
    source: Path,
    metadata: Path,
    out: Path,
    package_type: str,
    fmt: str,
    profile_file: Path | None,
    archive_name: str | None,
    agency_code: str | None,
    fonds_code: str | None,
    fonds_name: str | None,
    archive_code: str | None,
    columns: Path | None,
    strict: bool,
    link: bool,
    no_ead3: bool,
    clock: str | None,
    resume: bool,
    overwrite: bool,
    partial_ok: bool,
    sign_key: str | None,
    sign_cert: str | None,
    sign_chain: tuple[str, ...],
    sign_p12: str | None,
    pass_env: str | None,
    tsa_url: str | None,
    as_json: bool,
    fail_on: Severity,
    workers: int | None,
) -> int:
    """Build one package per hồ sơ from the files in SOURCE and the metadata spreadsheet.

    Đóng gói tài liệu số hóa và dữ liệu của hồ sơ thành gói SIP/AIP theo Thông tư 05/2025/TT-BNV.
    """
    if not source.is_dir():
        raise InputError(f"the source folder {source} does not exist")
    if not metadata.is_file():
        raise InputError(f"the metadata file {metadata} does not exist")
    kind = PackageType.SIP if package_type == "sip" else PackageType.AIP
    signer = signer_from_options(
        sign_key=sign_key,
        sign_cert=sign_cert,
        sign_chain=sign_chain,
        sign_p12=sign_p12,
        pass_env=pass_env,
        tsa_url=tsa_url,
    )
    profile = load_profile(
        profile_file,
        overrides={
            "archive_name": archive_name,
            "agency_code": agency_code,
            "fonds_code": fonds_code,
            "fonds_name": fonds_name,
            "archive_code": archive_code,
        },
    )
    mapping = load_mapping(columns) if columns is not None else None
    # The spreadsheet, profile and mapping may sit inside SOURCE: they are not payload.
    own_files = [p for p in (metadata, profile_file, columns) if p is not None]
    imported = read_metadata(
        metadata,
        source_root=source,
        profile=profile,
        mapping=mapping,
        package_type=kind,
        strict=strict,
        exclude=own_files,
    )
    findings: list[Finding] = list(imported.findings)
    blocked = strict and any(f.severity is Severity.ERROR for f in findings)
    results: list[BuildResult] = []
    if not blocked and imported.files:
        out.mkdir(parents=True, exist_ok=True)
        moment = _clock(out, metadata, clock, resume)
        options = BuildOptions(
            package_type=kind,
            format=fmt,
            link=link,
            ead3=not no_ead3,
            workers=default_workers(workers),
            overwrite=overwrite,
            signer=signer,
            tsa_url=tsa_url,
        )
        bar: Any = None
        if app.show_progress:  # the bar's length is the payload bytes: stat only when a bar is shown
            total = sum(
                (source / imported.source_files.get(name, name)).stat().st_size
                for record in imported.files
                for document in record.documents
                for name in document.files
            )
            bar = click.progressbar(length=total, label="building", file=sys.stderr, show_eta=True)
            bar.__enter__()
        try:
            for result in build_packages(
                imported.files,
                source_root=source,
                out_dir=out,
                profile=profile,
                source_files=imported.source_files,
                options=options,
                clock=moment,
                progress=None if bar is None else bar.update,
            ):
                if resume and result.status == "exists":
                    result = attrs.evolve(result, findings=())  # finished by the interrupted run: kept
                results.append(result)
                findings.extend(result.findings)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    report = Report(
        subject=str(metadata),
        profile=f"build-{package_type}",
        tool_versions={"luutru-aip": __version__},
        findings=tuple(findings),
        threshold=fail_on,
    )
    skipped = list(imported.skipped)
    if as_json:
        emit_json(
            {
                "format": "luutru-aip-build/1.0",
                "packages": [r.to_dict() for r in results],
                "skipped": [s.to_dict() for s in skipped],
                "report": report.to_dict(lang=app.lang),
            }
        )
    else:
        emit_reports(app, [report], as_json=False, fail_on=fail_on)
        for result in results:
            click.echo(_summary_line(result))
        for item in skipped:
            click.echo(f"skipped  {item}")
    kept = [r for r in results if r.status == "built" or (resume and r.status == "exists")]
    failed = len(results) - len(kept)
    app.log(f"{len(kept)} package(s) built, {len(skipped)} hồ sơ or row(s) skipped, {failed} failed")
    if blocked or failed:
        return 1
    if partial_ok:
        # Judge only what was built: skipped hồ sơ and their import findings are reported, not failed on.
        judged = [f for r in results for f in r.findings]
        return 1 if not kept or any(f.severity >= fail_on for f in judged) else 0
    return 1 if skipped or any(f.severity >= fail_on for f in findings) else 0
