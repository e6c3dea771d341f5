"""``luutru-aip audit``: periodic fixity audits of stored packages (issue 7, docs/audit.md).

Sub-commands: ``run`` (audit what is due), ``status`` (what is due, what failed),
``history PKG`` (every check of one package), ``report`` (JSON, CSV or HTML) and
``export-premis PKG`` (PREMIS 3 fixity-check events).

Exit codes of ``audit run`` (for cron and monitoring): 0 = every package checked
is intact; 1 = failures found (a changed, missing, extra, unreadable or moved file,
a damaged manifest, a vanished package, a signature that no longer verifies);
2 = could not run, or not completely: bad options, an unusable database, a storage
root unreachable, an interruption (SIGINT/SIGTERM) or a crash. 2 wins over 1: the
summary line and ``--json`` still give every failure found.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Final

import click

from luutru_aip._fs import atomic_file, display_name
from luutru_aip.audit import AuditOptions, HistoryDB, Progress, RunResult, run_audit
from luutru_aip.audit._units import format_bytes, format_duration, iso_time, parse_duration, parse_size
from luutru_aip.audit.db import PackageRow
from luutru_aip.audit.history import history_document, report_document, status_document
from luutru_aip.audit.signature import default_verifier
from luutru_aip.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    AppContext,
    common_options,
    default_workers,
    emit_json,
    json_option,
    pass_ctx,
    workers_option,
)
from luutru_aip.errors import InputError, UsageError
from luutru_aip.render import text as render_text

__all__ = ["command", "summary_line"]

ENV_DB: Final = "LUUTRU_AIP_AUDIT_DB"
MAX_TEXT_FINDINGS: Final = 100

_SUMMARY: Final[dict[str, dict[str, str]]] = {
    "en": {
        "head": "luutru-aip audit: run {run} {status}",
        "packages": "{checked}/{due} due packages checked ({failed} failed, {left} still due)",
        "files": "{files:,} files, {size} in {time} ({rate}/s)",
        "failures": "failures: {parts}",
        "none": "no failures",
        "unreachable": "{n} storage root(s) UNREACHABLE",
        "busy": "{n} package(s) busy in another run",
    },
    "vi": {
        "head": "luutru-aip audit: lượt chạy {run} {status}",
        "packages": "đã kiểm tra {checked}/{due} gói đến hạn ({failed} gói có lỗi, còn {left} gói đến hạn)",
        "files": "{files:,} tệp, {size} trong {time} ({rate}/giây)",
        "failures": "lỗi: {parts}",
        "none": "không có lỗi",
        "unreachable": "{n} kho lưu trữ KHÔNG TRUY CẬP ĐƯỢC",
        "busy": "{n} gói đang được lượt chạy khác kiểm tra",
    },
}
_OUTCOME_WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "changed": "changed",
        "missing": "missing",
        "extra": "extra",
        "unreadable": "unreadable",
        "moved": "moved",
        "damaged": "damaged manifests",
        "signature": "signatures",
        "vanished": "vanished",
    },
    "vi": {
        "changed": "bị thay đổi",
        "missing": "bị thiếu",
        "extra": "thừa",
        "unreadable": "không đọc được",
        "moved": "bị chuyển chỗ",
        "damaged": "danh mục hỏng",
        "signature": "chữ ký số",
        "vanished": "gói mất",
    },
}
_STATUS_VI: Final = {
    "completed": "hoàn tất",
    "partial": "dừng giữa chừng (hết hạn mức)",
    "interrupted": "bị ngắt",
    "failed": "thất bại",
}


def _db_option(func: Any) -> Any:
    return click.option(
        "--db",
        "db_path",
        required=True,
        envvar=ENV_DB,
        show_envvar=True,
        type=click.Path(dir_okay=False, path_type=str),
        help="The audit history database (SQLite).",
    )(func)


def _cycle_option(func: Any) -> Any:
    return click.option(
        "--cycle-days",
        type=click.FloatRange(min=0),
        default=90.0,
        show_default=True,
        help="A package is due when its last completed check is older than this.",
    )(func)


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    return None if value is None else parse_duration(value)


def _size(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    return None if value is None else parse_size(value)


def _open_db(path: str, *, create: bool = False) -> HistoryDB:
    return HistoryDB(path, create=create)


def _one_package(db: HistoryDB, text: str) -> PackageRow:
    found = db.find_packages(text)
    if not found:
        raise InputError(f"no package matches {text!r} in {db.path} (give a path, an identifier or #id)")
    if len(found) > 1:
        listed = ", ".join(f"#{p.package_id} {display_name(p.location)}" for p in found[:10])
        raise UsageError(f"{text!r} matches {len(found)} packages: {listed}; give #id")
    return found[0]


def _inside_package(db: HistoryDB, output: str) -> str | None:
    """The package ``output`` would be written into, if any (reports never go into a package)."""
    target = Path(output).absolute()
    inside = {str(target), *(str(p) for p in target.parents)}
    for root, rel in db.conn.execute(
        "SELECT r.path, p.rel_path FROM packages p JOIN roots r USING (root_id)"
    ):
        location = str(root) if rel == "." else f"{str(root).rstrip('/')}/{rel}"
        if location in inside:
            return location
    return None


@contextmanager
def _output(db: HistoryDB, output: str | None) -> Iterator[IO[bytes]]:
    """A binary stream to ``output`` (written atomically, never inside a package), or to stdout."""
    if output is None or output == "-":
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    holder = _inside_package(db, output)
    if holder is not None:
        raise UsageError(
            f"refusing to write {output} inside the package {holder}: an audit never writes there"
        )
    with atomic_file(Path(output), "wb") as handle:
        yield handle


@click.group(name="audit")
@common_options
def command() -> None:
    """Periodic fixity audits of stored packages: run, status, history, report, export-premis.

    Kiểm tra định kỳ tính toàn vẹn của các gói trong kho lưu trữ dự phòng.
    """


# --------------------------------------------------------------------------- run


def _trusting_verifier(trust: tuple[str, ...], crls: tuple[str, ...], workers: int) -> Any:
    try:
        from luutru_aip.signing import TrustConfig
    except ImportError:
        raise UsageError("--trust/--crl need the signing module (luutru_aip.signing)") from None
    config = TrustConfig.build(trust=list(trust), crls=list(crls))
    return default_verifier(trust=config, workers=workers)


class _Bar:
    """A progress bar on stderr, made on the first progress report, only when stderr is a terminal."""

    def __init__(self, app: AppContext) -> None:
        self.app = app
        self.bar: Any = None
        self.done = 0
        self.bytes = 0

    def __call__(self, progress: Progress) -> None:
        if not self.app.show_progress:
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=max(progress.packages_due, 1),
                label="audit",
                file=sys.stderr,
                show_pos=True,
                item_show_func=lambda _item: format_bytes(self.bytes),
            )
            self.bar.__enter__()
        self.bytes = progress.bytes
        self.bar.update(progress.packages_done - self.done, current_item=progress.bytes)
        self.done = progress.packages_done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def summary_line(result: RunResult, lang: str) -> str:
    """The one-line summary of a run printed on stderr (for cron mail and monitoring)."""
    words = _SUMMARY.get(lang, _SUMMARY["en"])
    c = result.counts
    status = _STATUS_VI.get(result.status, result.status) if lang == "vi" else result.status
    seconds = max((result.finished_at - result.started_at) / 1000, 0.001)
    parts = [
        words["head"].format(run=result.run_id, status=status),
        words["packages"].format(
            checked=c.get("packages_completed", 0),
            due=result.packages_due,
            failed=c.get("packages_failed", 0),
            left=result.packages_left,
        ),
        words["files"].format(
            files=c.get("files", 0),
            size=format_bytes(c.get("bytes", 0)),
            time=format_duration(seconds),
            rate=format_bytes(c.get("bytes", 0) / seconds),
        ),
    ]
    names = _OUTCOME_WORDS.get(lang, _OUTCOME_WORDS["en"])
    failing = [f"{c[k]:,} {names[k]}" for k in names if c.get(k, 0) > 0]
    parts.append(words["failures"].format(parts=", ".join(failing)) if failing else words["none"])
    if result.unreachable:
        parts.append(words["unreachable"].format(n=result.unreachable))
    if result.packages_busy:
        parts.append(words["busy"].format(n=result.packages_busy))
    if result.stop_reason and result.status != "completed":
        parts.append(result.stop_reason)
    return "; ".join(parts)


def _print_text(app: AppContext, result: RunResult) -> None:
    doc = result.to_dict(app.lang)
    color = app.color if app.color is not None else (sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    click.echo(summary_line(result, app.lang).removeprefix("luutru-aip audit: "))
    for root in doc["roots"]:
        state = "ok" if root["reachable"] else f"UNREACHABLE: {root['reason']}"
        click.echo(f"  {display_name(root['path'])}: {state} ({root['packages']} packages)")
    for _package, item in result.findings[:MAX_TEXT_FINDINGS]:
        click.echo(render_text.render_finding(item, lang=app.lang, color=color))
    if result.findings_total > MAX_TEXT_FINDINGS:
        click.echo(f"  … {result.findings_total - MAX_TEXT_FINDINGS} more (luutru-aip audit report)")


@command.command(name="run")
@click.argument("roots", nargs=-1, required=True, type=click.Path(path_type=str))
@_db_option
@_cycle_option
@click.option("--max-duration", metavar="DURATION", callback=_duration, help="Time budget: 30m, 6h, 1d…")
@click.option("--max-bytes", metavar="SIZE", callback=_size, help="Byte budget: 500G, 2T, 1.5TB…")
@workers_option
@json_option
@click.option(
    "--batch-files",
    type=click.IntRange(min=1),
    default=512,
    show_default=True,
    help="Files per unit of work.",
)
@click.option(
    "--batch-size",
    "batch_bytes",
    metavar="SIZE",
    default="64MiB",
    show_default=True,
    callback=_size,
    help="Bytes per unit of work (also the resume granularity).",
)
@click.option(
    "--lease",
    "lease",
    metavar="DURATION",
    default="1h",
    show_default=True,
    callback=_duration,
    help="How long a package stays reserved for this run without news (renewed with every batch).",
)
@click.option(
    "--trust", multiple=True, type=click.Path(path_type=str), help="Signature trust anchors (repeatable)."
)
@click.option(
    "--crl", "crls", multiple=True, type=click.Path(path_type=str), help="CRL files for signatures."
)
@click.option("--no-signatures", is_flag=True, help="Do not verify package signatures.")
@common_options
@pass_ctx
def run_command(
    app: AppContext,
    roots: tuple[str, ...],
    db_path: str,
    cycle_days: float,
    max_duration: float | None,
    max_bytes: int | None,
    workers: int | None,
    as_json: bool,
    batch_files: int,
    batch_bytes: int,
    lease: float,
    trust: tuple[str, ...],
    crls: tuple[str, ...],
    no_signatures: bool,
) -> int:
    """Audit the packages due under STORAGE_ROOT... and record every check in --db.

    Kiểm tra các gói đến hạn trong các kho STORAGE_ROOT... và ghi lại mọi lần kiểm tra.
    """
    options = AuditOptions(
        cycle_days=cycle_days,
        max_duration=max_duration,
        max_bytes=max_bytes,
        workers=default_workers(workers),
        batch_files=batch_files,
        batch_bytes=batch_bytes,
        lease_seconds=lease,
    )
    verifier: Any = "auto"  # luutru_aip.signing when installed, trust anchors from the environment
    if no_signatures:
        verifier = None
    elif trust or crls:
        verifier = _trusting_verifier(trust, crls, options.workers)
    bar = _Bar(app)
    try:
        result = run_audit(
            list(roots), db=db_path, options=options, signature_verifier=verifier, progress=bar
        )
    finally:
        bar.close()
    if as_json:
        emit_json(result.to_dict(app.lang))
    else:
        _print_text(app, result)
    app.log(summary_line(result, app.lang))
    return result.exit_code


# --------------------------------------------------------------------------- status


@command.command(name="status")
@_db_option
@_cycle_option
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True, help="Rows per list.")
@json_option
@common_options
@pass_ctx
def status_command(app: AppContext, db_path: str, cycle_days: float, limit: int, as_json: bool) -> int:
    """What is due, what failed, and when each package was last checked.

    Gói nào đến hạn, gói nào có lỗi, mỗi gói được kiểm tra lần cuối khi nào.
    """
    with _open_db(db_path) as db:
        doc = status_document(db, now_ms=int(time.time() * 1000), cycle_days=cycle_days, limit=limit)
    counts = doc["counts"]
    unreachable = [r for r in doc["roots"] if not r["reachable"]]
    code = EXIT_FINDINGS if counts["failed"] or counts["vanished"] or unreachable else EXIT_OK
    if as_json:
        emit_json(doc)
        return code
    click.echo(
        f"{counts['packages']} packages: {counts['ok']} intact, "
        f"{counts['failed']} failed at their last check, "
        f"{counts['never_checked']} never checked, {counts['due']} due, {counts['in_progress']} in progress, "
        f"{counts['vanished']} vanished"
    )
    for root in doc["roots"]:
        state = "reachable" if root["reachable"] else f"UNREACHABLE: {root['reason']}"
        click.echo(f"  root {display_name(root['path'])}: {state}, {root['packages']} packages")
    if doc["last_run"]:
        last = doc["last_run"]
        click.echo(
            f"  last run {last['run_id']}: {last['status']}, started {last['started_at']}, "
            f"{last['files']:,} files, {format_bytes(last['bytes'])}, {last['failures']} failures"
        )
    for title, rows in (
        ("failed", doc["failed"]),
        ("due", doc["due"]),
        ("in progress", doc["in_progress"]),
        ("vanished", doc["vanished"]),
    ):
        if rows:
            click.echo(f"{title}:")
        for p in rows:
            extra = f", {p['last_failures']} failures" if p["last_failures"] else ""
            click.echo(f"  #{p['id']} {p['location']}: last checked {p['last_checked'] or 'never'}{extra}")
    return code


# --------------------------------------------------------------------------- history


@command.command(name="history")
@click.argument("package")
@_db_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Checks to show.")
@click.option(
    "--max-failures", type=click.IntRange(min=0), default=100, show_default=True, help="Failures per check."
)
@json_option
@common_options
@pass_ctx
def history_command(
    app: AppContext, package: str, db_path: str, limit: int, max_failures: int, as_json: bool
) -> int:
    """Every check of one PACKAGE (a path, an identifier or #id), newest first.

    Lịch sử kiểm tra của một gói, mới nhất trước.
    """
    with _open_db(db_path) as db:
        row = _one_package(db, package)
        doc = history_document(db, row, lang=app.lang, limit=limit, max_failures=max_failures)
    latest = next((c for c in doc["checks"] if c["status"] == "completed"), None)
    code = EXIT_FINDINGS if latest is not None and latest["failures_total"] else EXIT_OK
    if as_json:
        emit_json(doc)
        return code
    p = doc["package"]
    click.echo(f"#{p['id']} {p['location']} ({p['kind']}{', ' + p['identifier'] if p['identifier'] else ''})")
    for event in doc["events"]:
        click.echo(f"  {event['at']} {event['code']}: {event['message']}")
    for check in doc["checks"]:
        outcomes = ", ".join(f"{v} {k}" for k, v in check["outcomes"].items() if v)
        click.echo(
            f"  check {check['check_id']} {check['status']}: "
            f"{check['started_at']} → {check['finished_at'] or '…'}"
            f" ({check['algorithm']}; {outcomes or 'no files yet'}; {check['failures_total'] or 0} failures)"
        )
        for item in check["findings"]:
            where = item["location"].get("path")
            click.echo(f"      {item['code']} {display_name(where) + ': ' if where else ''}{item['message']}")
    return code


# --------------------------------------------------------------------------- report


@command.command(name="report")
@_db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "html"]),
    default="html",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--table",
    type=click.Choice(["failures", "packages", "runs"]),
    default="failures",
    show_default=True,
    help="The CSV table.",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=str), help="File to write (default stdout)."
)
@_cycle_option
@click.option(
    "--max-failures", type=click.IntRange(min=0), default=1000, show_default=True, help="Failures listed."
)
@common_options
@pass_ctx
def report_command(
    app: AppContext,
    db_path: str,
    fmt: str,
    table: str,
    output: str | None,
    cycle_days: float,
    max_failures: int,
) -> int:
    """Write a report: JSON, CSV, or one self-contained HTML page (failures first, chart of runs).

    Lập báo cáo kiểm tra: JSON, CSV hoặc một trang HTML độc lập.
    """
    from luutru_aip.audit.report import render_csv, render_html, render_json  # lxml.html: only when asked

    with _open_db(db_path) as db:
        doc = report_document(
            db,
            now_ms=int(time.time() * 1000),
            cycle_days=cycle_days,
            lang=app.lang,
            max_failures=max_failures,
        )
        if fmt == "json":
            text = render_json(doc)
        elif fmt == "csv":
            text = render_csv(doc, table=table)
        else:
            text = render_html(doc, lang=app.lang)
        with _output(db, output) as stream:
            stream.write(text.encode("utf-8"))
    if output:
        app.log(f"luutru-aip audit: report written to {output}")
    return EXIT_OK


# --------------------------------------------------------------------------- export-premis


@command.command(name="export-premis")
@click.argument("package")
@_db_option
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=str), help="File to write (default stdout)."
)
@common_options
@pass_ctx
def export_premis_command(app: AppContext, package: str, db_path: str, output: str | None) -> int:
    """Export the fixity checks of PACKAGE as PREMIS 3 events (never written into the package).

    Xuất các lần kiểm tra tính toàn vẹn của gói thành sự kiện PREMIS 3.
    """
    from luutru_aip.audit.premis import export_premis  # the PREMIS vocabulary: only when asked

    with _open_db(db_path) as db:
        row = _one_package(db, package)
        with _output(db, output) as stream:
            count = export_premis(db, row, stream, lang=app.lang)
    app.log(
        f"luutru-aip audit: {count} fixity-check events of {display_name(row.location)} exported "
        f"(as of {iso_time(int(time.time() * 1000))})"
    )
    return EXIT_OK
