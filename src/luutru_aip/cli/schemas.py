"""``luutru-aip schemas install|list``: the schema store for the official standard XSDs.

The library never ships the standard schemas. They are installed into a store
(``LUUTRU_AIP_SCHEMA_DIR``, else a per-user data folder) from a local folder
(air-gapped archives) or from the official URLs, and every file must match an
official sha256 pinned in luutru_aip (docs/schema-store.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from luutru_aip._fs import display_name
from luutru_aip.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    AppContext,
    common_options,
    emit_json,
    json_option,
    pass_ctx,
)
from luutru_aip.errors import UsageError
from luutru_aip.metadata.schemastore import InstallResult, SchemaStatus, SchemaStore

_WORDS = {
    "en": {
        "installed": "installed",
        "unchanged": "already installed",
        "rejected": "REFUSED",
        "ignored": "ignored",
        "missing": "missing",
        "corrupt": "CORRUPT",
        "store": "schema store",
        "complete": "all {n} standard schemas are installed",
        "incomplete": "{n} standard schema(s) still missing: {names}",
        "hint": "install them with `luutru-aip schemas install --from DIR` or `--download`",
    },
    "vi": {
        "installed": "đã cài",
        "unchanged": "đã có sẵn",
        "rejected": "TỪ CHỐI",
        "ignored": "bỏ qua",
        "missing": "thiếu",
        "corrupt": "HỎNG",
        "store": "kho lược đồ",
        "complete": "đã cài đủ {n} lược đồ chuẩn",
        "incomplete": "còn thiếu {n} lược đồ chuẩn: {names}",
        "hint": "cài bằng lệnh `luutru-aip schemas install --from THƯ_MỤC` hoặc `--download`",
    },
}


def _words(app: AppContext) -> dict[str, str]:
    return _WORDS["vi" if app.lang == "vi" else "en"]


@click.group(name="schemas")
def command() -> None:
    """Install and list the official XSDs (METS, EAD3, EAD 2002, PREMIS 3, E-ARK extensions)."""


def _install_result_dict(result: InstallResult) -> dict[str, object]:
    return {
        "store": str(result.root),
        "complete": result.complete,
        "installed": [
            {"name": s.name, "file": s.file, "sha256": s.sha256, "source": s.source} for s in result.installed
        ],
        "unchanged": [{"name": s.name, "file": s.file, "sha256": s.sha256} for s in result.unchanged],
        "rejected": [{"source": r.source, "reason": r.reason, "sha256": r.sha256} for r in result.rejected],
        "ignored": [{"source": r.source, "reason": r.reason} for r in result.ignored],
        "missing": list(result.missing),
    }


@command.command(name="install")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Copy from this local folder (for air-gapped machines). Only files whose sha256 matches a pin.",
)
@click.option("--download", is_flag=True, help="Fetch the official URLs; every file must match its pin.")
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=30.0, show_default=True, help="Seconds per download."
)
@json_option
@common_options
@pass_ctx
def install(app: AppContext, source: Path | None, download: bool, timeout: float, as_json: bool) -> int:
    """Install the standard schemas into the store, checking every file against its pinned sha256."""
    if (source is None) == (not download):
        raise UsageError("give exactly one of --from DIR or --download")
    store = SchemaStore.default()
    result = store.install_from(source) if source is not None else store.install_download(timeout=timeout)
    if as_json:
        emit_json(_install_result_dict(result))
        return EXIT_OK if result.complete else EXIT_FINDINGS
    w = _words(app)
    click.echo(f"{w['store']}: {result.root}")
    for item in result.installed:
        click.echo(
            f"  {w['installed']:<18} {item.file:<28} {item.sha256[:16]}…  ← {display_name(item.source)}"
        )
    for item in result.unchanged:
        click.echo(f"  {w['unchanged']:<18} {item.file:<28} {item.sha256[:16]}…")
    for refused in result.rejected:
        click.echo(f"  {w['rejected']:<18} {display_name(refused.source)}: {display_name(refused.reason)}")
    if app.verbose:
        for refused in result.ignored:
            click.echo(f"  {w['ignored']:<18} {display_name(refused.source)}: {display_name(refused.reason)}")
    if result.complete:
        click.echo(w["complete"].format(n=len(store.status())))
        return EXIT_OK
    click.echo(w["incomplete"].format(n=len(result.missing), names=", ".join(result.missing)))
    app.log(w["hint"])
    return EXIT_FINDINGS


def _status_dict(status: SchemaStatus) -> dict[str, object]:
    return {
        "name": status.name,
        "title": status.title,
        "file": status.file,
        "path": str(status.path),
        "state": status.state.value,
        "sha256": status.sha256,
        "pin": None if status.pin is None else {"sha256": status.pin.sha256, "label": status.pin.label},
        "alternative": status.alternative,
    }


@command.command(name="list")
@json_option
@common_options
@pass_ctx
def list_(app: AppContext, as_json: bool) -> int:
    """Show which standard schemas are installed, missing or corrupt (exit 1 if any is not installed)."""
    store = SchemaStore.default()
    statuses = store.status()
    ok = all(s.ok for s in statuses)
    if as_json:
        emit_json({"store": str(store.root), "complete": ok, "schemas": [_status_dict(s) for s in statuses]})
        return EXIT_OK if ok else EXIT_FINDINGS
    w = _words(app)
    click.echo(f"{w['store']}: {store.root}")
    for status in statuses:
        state = w.get(status.state.value, status.state.value)
        extra = f"  ({status.pin.label})" if status.alternative and status.pin else ""
        click.echo(f"  {state:<12} {status.name:<18} {status.file:<28} {status.title}{extra}")
    if not ok:
        app.log(w["hint"])
    return EXIT_OK if ok else EXIT_FINDINGS
