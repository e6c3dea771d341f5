"""Conventions shared by every ``luutru-aip`` command (docs/cli.md).

* Results go to stdout (``--json`` for machines); logs and progress go to stderr.
* ``--quiet`` silences logs and progress; progress bars appear only when stderr is a terminal.
* ``--lang vi|en`` picks the message language (default: ``LUUTRU_AIP_LANG``, else the locale).
* Exit codes: 0 = nothing at or above ``--fail-on``; 1 = findings at or above it; 2 = could not run
  (bad usage, unreadable input, interrupted).

Commands take an :class:`AppContext` through :func:`pass_ctx` and finish with
:func:`emit_reports` and :func:`exit_for`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final, TypeVar

import attrs
import click

from luutru_aip.errors import UsageError
from luutru_aip.findings import LANGUAGES, Report, Severity, default_language
from luutru_aip.model import VN_TZ
from luutru_aip.render import json as render_json
from luutru_aip.render import text as render_text
from luutru_aip.signing import ENV_CRL, ENV_TRUST, ENV_TSA_TRUST, TrustConfig

__all__ = [
    "EXIT_COULD_NOT_RUN",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "AppContext",
    "common_options",
    "emit_json",
    "emit_reports",
    "exit_for",
    "fail_on_option",
    "json_option",
    "pass_ctx",
    "workers_option",
]

EXIT_OK: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_COULD_NOT_RUN: Final = 2

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


@attrs.define(kw_only=True)
class AppContext:
    """What every command needs to know about how it was called."""

    lang: str = attrs.field(factory=default_language)
    quiet: bool = False
    verbose: int = 0
    color: bool | None = None

    @property
    def show_progress(self) -> bool:
        """Progress bars only on a terminal, never with ``--quiet`` or in CI logs."""
        return not self.quiet and _stderr_is_tty() and os.environ.get("TERM") != "dumb"

    def log(self, message: str) -> None:
        """One line on stderr, unless ``--quiet``."""
        if not self.quiet:
            click.echo(message, err=True)

    def debug(self, message: str) -> None:
        if self.verbose and not self.quiet:
            click.echo(message, err=True)

    @contextmanager
    def progress(
        self, iterable: Iterable[T], *, length: int | None = None, label: str = ""
    ) -> Iterator[Iterable[T]]:
        """Wrap ``iterable`` in a progress bar on stderr when appropriate; otherwise pass it through.

        Progress is aggregated by the bar itself (no per-file lines), so piping output stays cheap.
        """
        if not self.show_progress:
            yield iterable
            return
        with click.progressbar(
            iterable,
            length=length,
            label=label,
            file=sys.stderr,
            show_pos=True,
            show_eta=True,
            update_min_steps=1,
        ) as bar:
            yield bar


pass_ctx = click.make_pass_decorator(AppContext, ensure=True)


def _set_lang(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.ensure_object(AppContext).lang = value
    return value


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(AppContext).quiet = True
    return value


def _add_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> int:
    if value:
        ctx.ensure_object(AppContext).verbose += value
    return value


def common_options(func: F) -> F:
    """``--lang``, ``--quiet`` and ``--verbose``, accepted before or after the command name."""
    func = click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_add_verbose,
        help="More detail on stderr (repeatable).",
    )(func)
    func = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_set_quiet,
        help="No progress and no log lines; results and exit code only.",
    )(func)
    return click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        expose_value=False,
        callback=_set_lang,
        is_eager=True,
        help="Language of messages: vi (Tiếng Việt) or en. Default: LUUTRU_AIP_LANG, else the locale.",
    )(func)


def json_option(func: F) -> F:
    """``--json``: machine-readable output on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout instead of text.")(func)


def _parse_severity(_ctx: click.Context, _param: click.Parameter, value: str) -> Severity:
    return Severity.parse(value)


def fail_on_option(func: F) -> F:
    """``--fail-on``: the severity at or above which the exit code is 1."""
    return click.option(
        "--fail-on",
        type=click.Choice([s.label for s in sorted(Severity, reverse=True)]),
        default="error",
        show_default=True,
        callback=_parse_severity,
        help="Exit 1 when a finding at or above this severity is found.",
    )(func)


def workers_option(func: F) -> F:
    """``--workers N``: processes for parallel work (default: all cores)."""
    return click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes (default: the number of CPU cores).",
    )(func)


def default_workers(value: int | None) -> int:
    return value if value is not None else max(1, os.cpu_count() or 1)


def emit_json(document: Any) -> None:
    """One JSON document on stdout, UTF-8, keys in a stable order."""
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


def emit_reports(app: AppContext, reports: Sequence[Report], *, as_json: bool, fail_on: Severity) -> None:
    """Print reports on stdout: text for people, one JSON document for machines."""
    if as_json:
        emit_json(render_json.reports_document(reports, lang=app.lang, fail_on=fail_on))
        return
    color = app.color if app.color is not None else (sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    for index, report in enumerate(reports):
        if index:
            click.echo("")
        click.echo(render_text.render_report(report, lang=app.lang, color=color, fail_on=fail_on))


def exit_for(reports: Iterable[Report], fail_on: Severity) -> int:
    """0 when no finding reaches ``fail_on``; 1 otherwise."""
    for report in reports:
        if any(f.severity >= fail_on for f in report.findings):
            return EXIT_FINDINGS
    return EXIT_OK


def _env_paths(name: str) -> list[str]:
    return [p for p in os.environ.get(name, "").split(os.pathsep) if p.strip()]


def trust_config(trust: Sequence[str], crls: Sequence[str], tsa_trust: Sequence[str] = ()) -> TrustConfig:
    """Trust anchors, CRLs and TSA anchors from the options, each falling back to its environment
    variable (``$LUUTRU_AIP_TRUST``, ``$LUUTRU_AIP_CRL``, ``$LUUTRU_AIP_TSA_TRUST``); unreadable files
    raise :class:`~luutru_aip.errors.InputError` (exit 2)."""
    return TrustConfig.build(
        trust=list(trust) or _env_paths(ENV_TRUST),
        crls=list(crls) or _env_paths(ENV_CRL),
        tsa_trust=(list(tsa_trust) or _env_paths(ENV_TSA_TRUST)) or None,
    )


def parse_clock(text: str | None) -> datetime | None:
    """An ISO 8601 ``--clock`` value; a time without an offset is taken as Vietnam time (+07:00)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--clock {text!r} is not an ISO 8601 time such as 2026-11-21T09:00:00+07:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VN_TZ)
