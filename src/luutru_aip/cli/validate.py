"""``luutru-aip validate PATH...``: check packages and report findings (issue 5).

Exit codes follow docs/cli.md: 0 = nothing at or above ``--fail-on``, 1 = findings
at or above it, 2 = could not run (a path that does not exist, an unknown profile).
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
    workers_option,
)
from luutru_aip.errors import InputError
from luutru_aip.findings import Report, Severity
from luutru_aip.validate import PROFILES, validate


@click.command(name="validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default="auto",
    show_default=True,
    help="What to check the package against; auto detects a BagIt bag.",
)
@click.option(
    "--fast", is_flag=True, help="Structure, completeness, Payload-Oxum and sizes only: no hashing."
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
    fast: bool,
    as_json: bool,
    fail_on: Severity,
    workers: int | None,
) -> int:
    """Validate the packages at PATH... (BagIt bags today; E-ARK and TT05 profiles to come).

    Kiểm tra gói tin (túi BagIt) và báo cáo các lỗi, cảnh báo tìm thấy.
    """
    for path in paths:
        if not os.path.lexists(path):
            raise InputError(f"{path} does not exist")
    count = default_workers(workers)
    reports: list[Report] = []
    for path in paths:
        app.debug(f"validating {path} (profile {profile}, {'fast' if fast else 'full'}, {count} workers)")
        reports.append(validate(path, profile=profile, fast=fast, workers=count, threshold=fail_on))
    emit_reports(app, reports, as_json=as_json, fail_on=fail_on)
    return exit_for(reports, fail_on)
