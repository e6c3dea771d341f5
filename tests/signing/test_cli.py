"""``luutru-aip sign`` and ``luutru-aip verify``: options, passphrases, output, exit codes 0/1/2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from luutru_aip.cli import cli, main
from luutru_aip.cli import sign as cli_sign
from luutru_aip.cli import verify as cli_verify
from luutru_aip.signing import SIGNATURE_PATH

from .conftest import PASSPHRASE, Pki, Tsa

REPORT_SCHEMA = Path(__file__).parents[2] / "src" / "luutru_aip" / "schemas" / "report.schema.json"


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    """Register the two commands in the real group (the lead adds them to ``_COMMAND_MODULES``)."""
    added = []
    for command in (cli_sign.command, cli_verify.command):
        if command.name not in cli.commands:
            cli.add_command(command)
            added.append(command.name)
    yield
    for name in added:
        cli.commands.pop(name, None)


@pytest.fixture(autouse=True)
def no_env_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LUUTRU_AIP_TRUST", "LUUTRU_AIP_TSA_TRUST", "LUUTRU_AIP_CRL"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _key_args(pki: Pki) -> list[str]:
    return [
        "--key",
        str(pki.signer.key_file),
        "--cert",
        str(pki.signer.cert_file),
        "--chain",
        str(pki.chain_file),
    ]


def test_sign_then_verify(bag: Path, pki: Pki, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", str(bag), *_key_args(pki), "--lang", "en")
    assert code == 0
    assert SIGNATURE_PATH in out
    assert "+07:00" in out
    code, out, _ = run(capsys, "verify", str(bag), "--trust", str(pki.root_file), "--lang", "vi")
    assert code == 0
    assert "SIG020" in out
    assert "Chữ ký số hợp lệ" in out


def test_sign_json_carries_the_premis_event(bag: Path, pki: Pki, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", str(bag), *_key_args(pki), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["format"] == "luutru-aip-sign-result"
    assert doc["signed_file"] == "tagmanifest-sha512.txt"
    assert doc["event"]["event_type"] == "digital signature generation"
    assert doc["event"]["datetime"].endswith("+07:00")


def test_verify_json_follows_the_report_schema(
    bag: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "sign", str(bag), *_key_args(pki))
    code, out, _ = run(capsys, "verify", str(bag), "--trust", str(pki.root_file), "--json")
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(REPORT_SCHEMA.read_text()))
    assert doc["profile"] == "signature"


def test_verify_exit_1_on_tampering_and_on_revocation(
    bag: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "sign", str(bag), "--key", str(pki.revoked.key_file), "--cert", str(pki.revoked.cert_file),
        "--chain", str(pki.chain_file))  # fmt: skip
    trust = ["--trust", str(pki.root_file)]
    assert run(capsys, "verify", str(bag), *trust)[0] == 0
    code, out, _ = run(
        capsys, "verify", str(bag), *trust, "--crl", str(pki.crl_file), "--crl", str(pki.root_crl_file)
    )
    assert code == 1
    assert "SIG011" in out
    (bag / "bag-info.txt").write_text("Source-Organization: someone else\n")
    code, out, _ = run(capsys, "verify", str(bag), *trust, "--json")
    assert code == 1
    assert {f["code"] for f in json.loads(out)["findings"]} == {"SIG021"}


def test_verify_fail_on_warning(bag: Path, pki: Pki, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "sign", str(bag), *_key_args(pki))
    args = ["verify", str(bag), "--trust", str(pki.root_file), "--crl", str(pki.root_crl_file)]
    assert run(capsys, *args)[0] == 0  # SIG012 is a warning
    assert run(capsys, *args, "--fail-on", "warning")[0] == 1


def test_verify_needs_trust_anchors(
    bag: Path, pki: Pki, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "sign", str(bag), *_key_args(pki))
    code, _, err = run(capsys, "verify", str(bag))
    assert code == 2
    assert "--trust" in err
    monkeypatch.setenv("LUUTRU_AIP_TRUST", str(pki.root_file))
    monkeypatch.setenv("LUUTRU_AIP_CRL", f"{pki.crl_file}:{pki.root_crl_file}")
    code, out, _ = run(capsys, "verify", str(bag), "--json")
    assert code == 0
    assert not [f for f in json.loads(out)["findings"] if f["code"] != "SIG020"]


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "{bag}", "--trust", "{missing}"],
        ["verify", "{missing}", "--trust", "{root}"],
        ["verify", "{bag}", "--trust", "{root}", "--crl", "{root}"],
        ["sign", "{bag}"],
        ["sign", "{bag}", "--p12", "{p12}", "--key", "{key}"],
        ["sign", "{missing}", "--key", "{key}"],
        ["sign", "{bag}", "--key", "{key}", "--cert", "{other_cert}"],
        ["sign", "{bag}", "--key", "{key}", "--cert", "{cert}", "--tsa", "ftp://example.org/"],
    ],
)
def test_could_not_run_exits_2(
    bag: Path, pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    values = {
        "bag": str(bag),
        "missing": str(tmp_path / "missing"),
        "root": str(pki.root_file),
        "p12": str(pki.p12_file),
        "key": str(pki.signer.key_file),
        "cert": str(pki.signer.cert_file),
        "other_cert": str(pki.signer_rsa.cert_file),
    }
    code, _, err = run(capsys, *[a.format(**values) for a in args])
    assert code == 2
    assert err.strip()


def test_existing_signature_needs_overwrite(bag: Path, pki: Pki, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "sign", str(bag), *_key_args(pki))[0] == 0
    code, _, err = run(capsys, "sign", str(bag), *_key_args(pki))
    assert code == 2
    assert "already has a signature" in err
    assert run(capsys, "sign", str(bag), *_key_args(pki), "--overwrite")[0] == 0


def test_passphrase_from_environment_is_never_shown(
    bag: Path, pki: Pki, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["sign", str(bag), "--p12", str(pki.p12_file), "--json"]
    code, _, err = run(capsys, *args)
    assert code == 2  # encrypted, no passphrase, no terminal to ask on
    assert "--pass-env" in err
    code, _, err = run(capsys, *args, "--pass-env", "LUUTRU_TEST_PASS")
    assert code == 2
    assert "LUUTRU_TEST_PASS" in err  # not set
    monkeypatch.setenv("LUUTRU_TEST_PASS", "wrong passphrase 123")
    code, out, err = run(capsys, *args, "--pass-env", "LUUTRU_TEST_PASS", "-v")
    assert code == 2
    assert "wrong passphrase 123" not in out + err
    monkeypatch.setenv("LUUTRU_TEST_PASS", PASSPHRASE)
    code, out, err = run(capsys, *args, "--pass-env", "LUUTRU_TEST_PASS", "-v")
    assert code == 0
    assert PASSPHRASE not in out + err


def test_passphrase_is_asked_without_echo_on_a_terminal(
    bag: Path, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_sign, "_stdin_is_tty", lambda: True)
    result = CliRunner().invoke(
        cli_sign.command,
        [str(bag), "--key", str(pki.encrypted_key_file), "--cert", str(pki.signer.cert_file), "--chain",
         str(pki.chain_file)],
        input=PASSPHRASE + "\n",
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSPHRASE not in result.output  # hidden input is not echoed
    assert (bag / SIGNATURE_PATH).exists()


def test_sign_with_timestamp(bag: Path, pki: Pki, tsa: Tsa, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", str(bag), *_key_args(pki), "--tsa", tsa.at("/v2"), "--json")
    assert code == 0
    assert json.loads(out)["timestamp"] is True
    code, out, _ = run(capsys, "verify", str(bag), "--trust", str(pki.root_file), "--json")
    assert code == 0
    summary = json.loads(out)["findings"][0]
    assert summary["code"] == "SIG020"
    assert summary["params"]["timestamp"]
