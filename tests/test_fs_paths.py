"""Tests for luutru_aip._fs.paths: PackagePath and the PATH0xx rules."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luutru_aip._fs import REASON_CODES, PackagePath, check_package_path, display_name, path_finding
from luutru_aip.errors import UnsafePathError
from luutru_aip.findings import Severity, get_rule

VIETNAMESE = [
    "Hồ sơ số 01/Quyết định về việc thành lập.pdf",
    "Phông UBND tỉnh/Mục lục",
    "Phông Ủy ban nhân dân tỉnh Quảng Ngãi/Hộp 12/Hồ sơ 003/Tờ trình số 45-TTr.docx",
    "Đơn đề nghị.txt",
    "tài liệu/ảnh/Ảnh chụp 2024.jpg",
]

# text → expected reason: every reason code has at least one case here.
REJECTED: list[tuple[str, str]] = [
    ("", "empty"),
    ("/x", "absolute"),
    ("/etc/passwd", "absolute"),
    ("..", "parent"),
    ("../x", "parent"),
    ("a/../../evil", "parent"),
    ("a/..", "parent"),
    (".", "dot"),
    ("./a", "dot"),
    ("a/./b", "dot"),
    ("a//b", "empty_segment"),
    ("a/", "empty_segment"),
    ("a\x00b", "nul"),
    ("a\x01b", "control"),
    ("a\nb", "control"),
    ("a\x1b[31mred", "control"),
    ("a\x7f", "control"),
    ("a\x85b", "control"),
    ("a\\b", "backslash"),
    ("C:\\x", "backslash"),
    ("..\\..\\evil", "backslash"),
    ("C:", "drive"),
    ("C:foo", "drive"),
    ("c:/windows/x", "drive"),
    ("//server/share", "unc"),
    ("//", "unc"),
    ("~", "home"),
    ("~/x", "home"),
    ("~root/.ssh", "home"),
    ("a\udcffb", "encoding"),
    ("x" * 256, "long_segment"),
    ("a/" + "ộ" * 86, "long_segment"),  # 86 × 3 bytes = 258 > 255
]


@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_rejected_with_reason(text: str, reason: str) -> None:
    assert check_package_path(text) == reason
    with pytest.raises(UnsafePathError) as info:
        PackagePath.parse(text)
    message = str(info.value)
    assert f"[{reason}]" in message
    assert display_name(text) in message  # names the offending path


def test_every_reason_is_covered_and_has_a_rule() -> None:
    covered = {reason for _, reason in REJECTED} | {"escapes_root"}
    assert covered == set(REASON_CODES)
    for code in REASON_CODES.values():
        assert get_rule(code).severity is Severity.ERROR


@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_path_finding_codes(text: str, reason: str) -> None:
    found = path_finding(text)
    assert found is not None
    assert found.code == REASON_CODES[reason]
    assert found.message("vi")
    assert "\x00" not in found.message("en")
    assert "\x1b" not in found.message("en")


def test_fixture_per_path_code() -> None:
    # One explicit fixture per code, so the catalogue check sees each one triggered.
    cases = {
        "PATH001": "",
        "PATH002": "/etc/passwd",
        "PATH003": "../../evil",
        "PATH004": "a/./b",
        "PATH005": "a//b",
        "PATH006": "evil\x00.pdf",
        "PATH007": "a\tb",
        "PATH008": "Hồ sơ\\a.pdf",
        "PATH009": "C:foo",
        "PATH010": "//server/share",
        "PATH011": "~/x",
        "PATH012": "\udc80",
        "PATH013": "đ" * 128,
    }
    for code, text in cases.items():
        found = path_finding(text)
        assert found is not None, (code, text)
        assert found.code == code, (code, text)
    escaped = path_finding("link/x", reason="escapes_root")
    assert escaped is not None
    assert escaped.code == "PATH014"
    assert path_finding("Hồ sơ/a.pdf") is None


@pytest.mark.parametrize("text", VIETNAMESE)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_vietnamese_accepted_in_both_forms(text: str, form: Literal["NFC", "NFD"]) -> None:
    raw = unicodedata.normalize(form, text)
    p = PackagePath.parse(raw)
    assert str(p) == raw
    assert p.raw == raw
    assert p.nfc == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("text", VIETNAMESE)
def test_nfc_nfd_same_collision_key_different_raw(text: str) -> None:
    nfc = PackagePath.parse(unicodedata.normalize("NFC", text))
    nfd = PackagePath.parse(unicodedata.normalize("NFD", text))
    assert nfc.raw != nfd.raw
    assert nfc != nfd
    assert nfc.nfc == nfd.nfc
    assert nfc.collision_key == nfd.collision_key
    upper = PackagePath.parse(unicodedata.normalize("NFD", text.upper()))
    assert upper.collision_key == nfc.collision_key


def test_parts_and_names() -> None:
    p = PackagePath.parse("Hồ sơ số 01/Quyết định về việc thành lập.pdf")
    assert p.parts == ("Hồ sơ số 01", "Quyết định về việc thành lập.pdf")
    assert p.name == "Quyết định về việc thành lập.pdf"
    assert p.suffix == ".pdf"
    assert p.stem == "Quyết định về việc thành lập"
    assert p.parent == PackagePath("Hồ sơ số 01")
    assert PackagePath("a").parent is None
    assert PackagePath(".hidden").suffix == ""
    assert PackagePath("archive.tar.gz").suffix == ".gz"
    assert PackagePath("noext.").suffix == ""
    assert [str(x) for x in PackagePath("a/b/c").parents()] == ["a/b", "a"]
    assert p.is_relative_to(PackagePath("Hồ sơ số 01"))
    assert not PackagePath("Hồ sơ số 012/x").is_relative_to(PackagePath("Hồ sơ số 01"))


def test_join() -> None:
    base = PackagePath("Phông UBND tỉnh")
    assert base / "Mục lục" == PackagePath("Phông UBND tỉnh/Mục lục")
    assert base.joinpath("a", PackagePath("b/c")) == PackagePath("Phông UBND tỉnh/a/b/c")
    with pytest.raises(UnsafePathError):
        base / ".."
    with pytest.raises(UnsafePathError):
        base / "/etc"
    with pytest.raises(UnsafePathError):
        base.joinpath("")


def test_not_a_str_and_not_pathlike() -> None:
    p = PackagePath("a/b")
    assert not isinstance(p, str)
    assert not isinstance(p, os.PathLike)
    with pytest.raises(TypeError):
        PackagePath(b"a")  # type: ignore[arg-type]
    assert sorted([PackagePath("b"), PackagePath("a")]) == [PackagePath("a"), PackagePath("b")]
    assert len({PackagePath("a"), PackagePath("a")}) == 1
    assert repr(p) == "PackagePath('a/b')"


def test_to_fs_inside(tmp_path: Path) -> None:
    p = PackagePath("Hồ sơ/a.pdf")
    assert p.to_fs(tmp_path) == tmp_path.resolve() / "Hồ sơ" / "a.pdf"
    (tmp_path / "inner").mkdir()
    (tmp_path / "link_in").symlink_to(tmp_path / "inner")
    assert PackagePath("link_in/x").to_fs(tmp_path) == tmp_path.resolve() / "link_in" / "x"


def test_to_fs_refuses_link_out(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "out").symlink_to(tmp_path)
    (root / "abs").symlink_to("/etc")
    (root / "self").symlink_to(root)
    (root / "loop").symlink_to(root / "loop")
    for text in ("out/x", "abs/passwd", "self", "loop/x"):
        p = PackagePath(text)
        assert p.check_fs(root) == "escapes_root"
        with pytest.raises(UnsafePathError, match="escapes_root"):
            p.to_fs(root)


def test_from_fs(tmp_path: Path) -> None:
    assert PackagePath.from_fs(tmp_path, tmp_path / "Hồ sơ" / "a.pdf") == PackagePath("Hồ sơ/a.pdf")
    assert PackagePath.from_fs(tmp_path, Path("x/y")) == PackagePath("x/y")
    with pytest.raises(UnsafePathError):
        PackagePath.from_fs(tmp_path, tmp_path.parent / "other")
    with pytest.raises(UnsafePathError):
        PackagePath.from_fs(tmp_path, tmp_path)
    with pytest.raises(UnsafePathError, match="encoding"):
        PackagePath.from_fs(tmp_path, tmp_path / os.fsdecode(b"bad\xff"))


def test_display_name_escapes() -> None:
    assert display_name("Hồ sơ") == "Hồ sơ"
    assert display_name("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert display_name("a\\b") == "a\\\\b"
    assert display_name("\udcff") == "\\udcff"


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from("ab./\\:~\x00 ồ\u0302C"), max_size=12) | st.text(max_size=20))
def test_accepted_never_escapes(tmp_path: Path, text: str) -> None:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    reason = check_package_path(text)
    if reason is not None:
        with pytest.raises(UnsafePathError):
            PackagePath.parse(text)
        return
    p = PackagePath.parse(text)
    target = p.to_fs(root)
    resolved_root = root.resolve()
    assert target.resolve().is_relative_to(resolved_root)
    assert target != resolved_root
    assert PackagePath.from_fs(root, target) == p
    assert p.collision_key == PackagePath(unicodedata.normalize("NFD", text)).collision_key


@pytest.mark.parametrize("ch", ["\u202e", "\u2066", "\u200f", "\u061c", "\u2028"])
def test_display_name_escapes_bidi_and_line_separators(ch: str) -> None:
    shown = display_name(f"Quyết định{ch}fdp.exe")
    assert ch not in shown
    assert f"\\u{ord(ch):04x}" in shown
    assert shown.startswith("Quyết định")
