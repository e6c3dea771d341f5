"""``luutru-aip identify PATH... [--json] [--workers N]``: PRONOM format identification (issue 3).

Recurses into folders, shows aggregated progress on a terminal, prints one line per file
(PUIDs, basis, warnings) or, with ``--json``, the document described by
``schemas/identify.schema.json``. Exit 1 when a warning reaches ``--fail-on``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import click

from luutru_aip.cli._common import (
    AppContext,
    common_options,
    default_workers,
    emit_json,
    exit_for,
    fail_on_option,
    json_option,
    pass_ctx,
    workers_option,
)
from luutru_aip.errors import UsageError
from luutru_aip.findings import Report, Severity
from luutru_aip.identify import SignatureOptions, default_identifier, identification_document


def _walk(paths: tuple[str, ...]) -> Iterator[str]:
    for root in paths:
        base = Path(root)
        if base.is_dir():
            for folder, dirs, files in os.walk(base):
                dirs.sort()
                for name in sorted(files):
                    yield str(Path(folder) / name)
        elif base.exists() or base.is_symlink():
            yield root
        else:
            raise UsageError(f"no such file or folder: {root}")


@click.command(name="identify")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--signature-file",
    type=click.Path(exists=True, dir_okay=False),
    help="A newer PRONOM signature file in fido's format (formats-vNNN.xml).",
)
@click.option(
    "--container-file",
    type=click.Path(exists=True, dir_okay=False),
    help="A container signature file (container-signature-YYYYMMDD.xml).",
)
@workers_option
@fail_on_option
@json_option
@common_options
@pass_ctx
def command(
    app: AppContext,
    paths: tuple[str, ...],
    signature_file: str | None,
    container_file: str | None,
    workers: int | None,
    fail_on: Severity,
    as_json: bool,
) -> int:
    """Identify the format (PRONOM PUID) of every file in PATHS, recursing into folders.

    Nhận dạng định dạng tệp (mã PUID của PRONOM) cho mọi tệp trong PATHS.
    """
    files = list(_walk(paths))
    identifier = default_identifier(
        SignatureOptions(signature_file=signature_file, container_file=container_file)
    )
    n_workers = min(default_workers(workers), max(1, len(files) // 64))
    app.debug(f"{len(files)} files, {n_workers} worker(s), signatures {identifier.signature_version}")
    results = []
    with app.progress(
        identifier.identify_paths(files, workers=n_workers), length=len(files), label="identify"
    ) as bar:
        for result in bar:
            results.append(result)
    findings = [f for r in results for f in r.findings()]
    if as_json:
        emit_json(identification_document(results, identifier=identifier, lang=app.lang))
    else:
        for r in results:
            puids = ",".join(r.puids) or "-"
            basis = r.basis.value if r.basis else "none"
            warn = (" " + ",".join(r.warnings)) if r.warnings else ""
            click.echo(f"{r.path}\t{puids}\t{basis}{warn}")
        app.log(
            f"{len(results)} files, {sum(1 for r in results if r.matches)} identified "
            f"(PRONOM {identifier.signature_version})"
        )
    report = Report(subject=", ".join(paths), profile="identify", findings=findings)
    return exit_for([report], fail_on)
