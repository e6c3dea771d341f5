"""The ``luutru-aip`` command line (L4). It holds no checking logic: it parses options,
calls the library, and renders results (docs/cli.md).

Exit codes: 0 = ok, 1 = findings at or above ``--fail-on``, 2 = could not run.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Final

import click

from luutru_aip import __version__
from luutru_aip.cli._common import EXIT_COULD_NOT_RUN, AppContext, common_options
from luutru_aip.errors import LuutruError

__all__ = ["cli", "main"]

#: Command modules, each exposing a click command named ``command``.
_COMMAND_MODULES: Final = (
    "luutru_aip.cli.rules",
    "luutru_aip.cli.schemas",
    "luutru_aip.cli.validate",
    "luutru_aip.cli.identify",
    "luutru_aip.cli.build",
    "luutru_aip.cli.ingest",
    "luutru_aip.cli.sign",
    "luutru_aip.cli.verify",
    "luutru_aip.cli.audit",
    "luutru_aip.cli.migrate",
)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="luutru-aip")
@common_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Build, identify, sign, validate, migrate and audit E-ARK / TT05 archival packages.

    Gói tin lưu trữ theo E-ARK và Thông tư 05/2025/TT-BNV cho lưu trữ dự phòng.

    \b
    Exit codes: 0 = ok, 1 = findings at or above --fail-on, 2 = could not run.
    Results go to stdout (--json for machines); logs and progress to stderr.
    """
    ctx.ensure_object(AppContext)


for _name in _COMMAND_MODULES:
    cli.add_command(importlib.import_module(_name).command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (never raises, except SystemExit from ``sys.exit`` callers)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="luutru-aip", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code)
    except click.ClickException as exc:  # usage errors: bad option, missing argument
        exc.show()
        return EXIT_COULD_NOT_RUN
    except click.Abort:
        click.echo("luutru-aip: aborted", err=True)
        return EXIT_COULD_NOT_RUN
    except KeyboardInterrupt:
        click.echo("luutru-aip: interrupted; nothing half-made was left under a final name", err=True)
        return EXIT_COULD_NOT_RUN
    except LuutruError as exc:
        click.echo(f"luutru-aip: error: {exc}", err=True)
        return EXIT_COULD_NOT_RUN
    except BrokenPipeError:  # `luutru-aip rules | head`: the reader left; say nothing more
        _silence_stdout()
        return EXIT_COULD_NOT_RUN
    except OSError as exc:  # an I/O failure outside any package check (disk full, permission)
        click.echo(f"luutru-aip: error: {exc}", err=True)
        return EXIT_COULD_NOT_RUN
    except Exception as exc:  # a bug: never report it as exit 1 ("findings"), which CI would trust
        click.echo(f"luutru-aip: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("Please report this with the command line that caused it.", err=True)
        return EXIT_COULD_NOT_RUN
    return int(result) if isinstance(result, int) else 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's flush at exit does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # pragma: no cover - stdout already gone or not a real file
        pass
