"""``luutru-aip sign PKG``: sign a package with an organisation certificate (issue 6, docs/signing.md).

Exit codes follow docs/cli.md: 0 = signed; 2 = could not sign (bad options, unreadable or
encrypted key without a passphrase, an invalid certificate, a package that does not match its
own manifests, an existing signature without ``--overwrite``, an unreachable TSA).
Passphrases are read from the environment variable named by ``--pass-env`` or asked for
without echo on a terminal; they are never printed or logged.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from luutru_aip.cli._common import (
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
from luutru_aip.signing import PassphraseRequiredError, Signer, load_signer, sign_package, vietnam_time

_LABELS = {
    "en": (
        "Signed",
        "signature",
        "signed file",
        "signer",
        "signing time",
        "timestamp",
        "yes (RFC 3161)",
        "no",
    ),
    "vi": (
        "Đã ký",
        "chữ ký",
        "tệp được ký",
        "người ký",
        "thời điểm ký",
        "dấu thời gian",
        "có (RFC 3161)",
        "không",
    ),
}


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


F = TypeVar("F", bound=Callable[..., Any])


def load_signer_interactively(
    *,
    key: str | None,
    cert: str | None,
    chain: tuple[str, ...],
    p12: str | None,
    pass_env: str | None,
) -> Signer:
    passphrase: str | None = None
    if pass_env is not None:
        value = os.environ.get(pass_env)
        if value is None:
            raise UsageError(f"the environment variable {pass_env} (--pass-env) is not set")
        passphrase = value
    try:
        return load_signer(key=key, cert=cert, chain=chain, p12=p12, passphrase=passphrase)
    except PassphraseRequiredError as exc:
        if passphrase is not None or not _stdin_is_tty():
            raise InputError(f"{exc}; use --pass-env VAR, or run on a terminal to be asked") from None
    asked = click.prompt("Passphrase / Mật khẩu", hide_input=True, err=True, show_default=False)
    return load_signer(key=key, cert=cert, chain=chain, p12=p12, passphrase=asked)


def signing_options(func: F) -> F:
    """``--sign-key``, ``--sign-cert``, ``--sign-chain``, ``--sign-p12``, ``--pass-env`` and ``--tsa``.

    For commands that sign what they write (``build``, ``migrate``); read them with
    :func:`signer_from_options`.
    """
    for decorator in reversed(
        (
            click.option(
                "--sign-key",
                type=click.Path(dir_okay=False, path_type=str),
                help="Sign with this private key.",
            ),
            click.option(
                "--sign-cert", type=click.Path(dir_okay=False, path_type=str), help="Signer certificate."
            ),
            click.option(
                "--sign-chain",
                multiple=True,
                type=click.Path(dir_okay=False, path_type=str),
                help="Intermediate CA.",
            ),
            click.option(
                "--sign-p12",
                type=click.Path(dir_okay=False, path_type=str),
                help="Sign with a PKCS #12 file.",
            ),
            click.option(
                "--pass-env", metavar="VAR", help="Read the key passphrase from environment variable VAR."
            ),
            click.option(
                "--tsa", "tsa_url", metavar="URL", help="Timestamp the signature at this RFC 3161 TSA."
            ),
        )
    ):
        func = decorator(func)
    return func


def signer_from_options(
    *,
    sign_key: str | None,
    sign_cert: str | None,
    sign_chain: tuple[str, ...],
    sign_p12: str | None,
    pass_env: str | None,
    tsa_url: str | None,
) -> Signer | None:
    """The signer :func:`signing_options` asked for, or ``None`` when no key was given."""
    if sign_key is not None or sign_p12 is not None:
        return load_signer_interactively(
            key=sign_key, cert=sign_cert, chain=sign_chain, p12=sign_p12, pass_env=pass_env
        )
    if sign_cert or sign_chain or tsa_url:
        raise UsageError("--sign-cert, --sign-chain and --tsa need --sign-key or --sign-p12")
    return None


@click.command(name="sign")
@click.argument("package", type=click.Path(path_type=str))
@click.option("--key", type=click.Path(dir_okay=False, path_type=str), help="Private key file (PEM or DER).")
@click.option(
    "--cert", type=click.Path(dir_okay=False, path_type=str), help="Signer certificate (default: from --key)."
)
@click.option(
    "--chain",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="CA certificates to embed (PEM bundle; repeatable).",
)
@click.option(
    "--p12", type=click.Path(dir_okay=False, path_type=str), help="PKCS #12 file with key and certificates."
)
@click.option(
    "--pass-env",
    metavar="VAR",
    help="Read the passphrase from environment variable VAR (never from the command line).",
)
@click.option("--tsa", "tsa_url", metavar="URL", help="Add an RFC 3161 timestamp from the TSA at URL.")
@click.option("--overwrite", is_flag=True, help="Replace an existing signature.")
@click.option(
    "--no-check",
    is_flag=True,
    help="Do not first check the package against its own manifests or METS checksums.",
)
@json_option
@workers_option
@common_options
@pass_ctx
def command(
    app: AppContext,
    package: str,
    key: str | None,
    cert: str | None,
    chain: tuple[str, ...],
    p12: str | None,
    pass_env: str | None,
    tsa_url: str | None,
    overwrite: bool,
    no_check: bool,
    as_json: bool,
    workers: int | None,
) -> int:
    """Sign the package PACKAGE (folder, BagIt bag or ZIP) with a detached CMS signature.

    Ký số gói PACKAGE (thư mục, túi BagIt hoặc tệp ZIP) bằng chữ ký CMS tách rời,
    lưu tại signatures/package.p7s.
    """
    if p12 is not None and (key is not None or cert is not None):
        raise click.UsageError("give either --p12 or --key/--cert, not both")
    if p12 is None and key is None:
        raise click.UsageError("a signing key is needed: --key KEY [--cert CERT] or --p12 FILE")
    if not os.path.lexists(package):
        raise InputError(f"{package} does not exist")
    signer = load_signer_interactively(key=key, cert=cert, chain=chain, p12=p12, pass_env=pass_env)
    app.debug(f"signing {package} as {signer.subject}")
    result = sign_package(
        package,
        signer=signer,
        tsa_url=tsa_url,
        overwrite=overwrite,
        check=not no_check,
        workers=default_workers(workers),
    )
    if as_json:
        emit_json({"format": "luutru-aip-sign-result", "format_version": "1.0", **result.to_dict()})
        return EXIT_OK
    done, sig, signed, who, when, stamp, yes, no = _LABELS.get(app.lang, _LABELS["en"])
    click.echo(f"{done}: {package}")
    click.echo(f"  {sig}: {result.signature_path}")
    click.echo(f"  {signed}: {result.signed_file} ({result.digest_algorithm})")
    click.echo(f"  {who}: {result.signer}")
    click.echo(f"  {when}: {vietnam_time(result.signing_time)}")
    click.echo(f"  {stamp}: {yes if result.timestamp else no}")
    return EXIT_OK
