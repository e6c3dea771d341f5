"""``luutru-aip migrate``: older packages → new AIP versions in the 2024 vocabulary and TT05 code lists.

Each PKG is a package (folder, bag or ZIP) or a storage folder searched for packages. One failure
never stops the others; the summary counts migrated, already current and failed packages. Exit codes:
0 when every package was migrated or already current (and no finding reaches ``--fail-on``), 1 when
one failed or a finding reaches it, 2 when the command could not run. ``docs/migration.md`` explains
what changes and what never does.
"""

from __future__ import annotations

from pathlib import Path

import click

from luutru_aip import __version__
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
from luutru_aip.errors import UsageError
from luutru_aip.findings import Report, Severity
from luutru_aip.migrate import (
    FORMATS,
    MigrateOptions,
    MigrationResult,
    default_registry,
    find_packages,
    migrate_many,
)

_STATUS_VI = {
    "migrated": "đã chuyển đổi",
    "planned": "dự kiến",
    "current": "đã theo quy định mới",
    "exists": "đã có phiên bản mới",
    "failed": "không chuyển đổi được",
}


def _line(result: MigrationResult, lang: str) -> str:
    status = _STATUS_VI[result.status] if lang == "vi" else result.status
    target = f" → {result.path}" if result.path is not None and result.status != "planned" else ""
    extra = ""
    if result.status == "planned":
        extra = f" ({len(result.changes)} change(s), new OBJID {result.new_objid})"
    elif result.status == "migrated":
        extra = f" ({len(result.changes)} change(s), {result.files} files)"
    elif result.status == "failed":
        errors = [f for f in result.findings if f.severity >= Severity.ERROR]
        if errors:
            extra = f" ({errors[0].code}: {errors[0].message(lang)})"
    return f"{status:9s} {result.source}{target}{extra}"


@click.command("migrate")
@click.argument("packages", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Folder for the new versions.")
@click.option(
    "--to", "target", metavar="VERSION", help="Profile version to reach (default: the newest, tt05-2025)."
)
@click.option(
    "--from-codes",
    metavar="LIST",
    help="Code list the old values belong to: vendor-2019, text-2011 or tt05 (see docs/migration.md).",
)
@click.option(
    "--from-profile",
    metavar="VERSION",
    help="Profile version of packages that declare none (for example legacy-2011).",
)
@click.option(
    "--steps",
    "steps_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Folder of extra migration steps (*.toml), e.g. a later legal change.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the planned changes per package, file and field; write nothing."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="same",
    show_default=True,
    help="Container of the new version (same = the predecessor's).",
)
@click.option("--link", is_flag=True, help="Hard-link unchanged files instead of copying (same file system).")
@click.option(
    "--clock", "clock", help="Time recorded (ISO 8601) for reproducible output; default now, +07:00."
)
@click.option(
    "--no-validate", is_flag=True, help="Do not check the new version with validate --profile tt05."
)
@signing_options
@json_option
@fail_on_option
@workers_option
@common_options
@pass_ctx
def command(
    app: AppContext,
    packages: tuple[Path, ...],
    out: Path | None,
    target: str | None,
    from_codes: str | None,
    from_profile: str | None,
    steps_dir: Path | None,
    dry_run: bool,
    fmt: str,
    link: bool,
    clock: str | None,
    no_validate: bool,
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
    """Migrate older packages (PKG…) to the 2024 Archives Law vocabulary and the TT05 code lists.

    Chuyển các gói cũ sang thuật ngữ của Luật Lưu trữ 2024 và danh mục mã của Thông tư 05/2025/TT-BNV,
    thành phiên bản AIP mới; gói cũ không bao giờ bị sửa.
    """
    if out is None and not dry_run:
        raise UsageError("--out is required (or use --dry-run)")
    if dry_run and (sign_key is not None or sign_p12 is not None):
        raise UsageError("--dry-run writes nothing, so it signs nothing: drop --sign-key / --sign-p12")
    signer = signer_from_options(
        sign_key=sign_key,
        sign_cert=sign_cert,
        sign_chain=sign_chain,
        sign_p12=sign_p12,
        pass_env=pass_env,
        tsa_url=tsa_url,
    )
    registry = default_registry()
    if steps_dir is not None:
        registry = registry.load(steps_dir)
    options = MigrateOptions(
        target=target,
        from_codes=from_codes,
        from_profile=from_profile,
        format=fmt,
        link=link,
        workers=default_workers(workers),
        clock=parse_clock(clock),
        signer=signer,
        tsa_url=tsa_url,
        validate=not no_validate,
        registry=registry,
    )
    found = find_packages(packages)
    if not found:
        raise UsageError("no package found in " + ", ".join(str(p) for p in packages))
    results: list[MigrationResult] = []
    label = "planning" if dry_run else "migrating"
    with app.progress(
        migrate_many(found, out, options, dry_run=dry_run), length=len(found), label=label
    ) as items:
        for result in items:
            results.append(result)
    findings = [f for r in results for f in r.findings]
    report = Report(
        subject=", ".join(str(p) for p in packages),
        profile="migrate-dry-run" if dry_run else "migrate",
        tool_versions={"luutru-aip": __version__},
        findings=tuple(findings),
        threshold=fail_on,
    )
    counts = {s: sum(1 for r in results if r.status == s) for s in _STATUS_VI}
    if as_json:
        emit_json(
            {
                "format": "luutru-aip-migrate/1.0",
                "dry_run": dry_run,
                "packages": [r.to_dict(app.lang) for r in results],
                "summary": counts,
                "report": report.to_dict(lang=app.lang),
            }
        )
    else:
        emit_reports(app, [report], as_json=False, fail_on=fail_on)
        for result in results:
            click.echo(_line(result, app.lang))
            if dry_run:
                for change in result.changes:
                    click.echo(f"    {change.describe()}  [{change.rule}]")
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    app.log(f"{len(results)} package(s): {summary}")
    if counts["failed"]:
        return 1
    return 1 if any(f.severity >= fail_on for f in findings) else 0
