"""The findings model: catalogue integrity, rendering in both languages, report semantics."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luutru_aip.findings import (
    Finding,
    Location,
    Report,
    Severity,
    Skipped,
    catalogue,
    default_language,
    finding,
    get_rule,
)


def _template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


LOCATION_KEYS = {"path", "line", "xpath", "field"}


def test_catalogue_is_not_empty_and_sorted() -> None:
    codes = list(catalogue())
    assert codes
    assert codes == sorted(codes)


@pytest.mark.parametrize("code", sorted(catalogue()))
def test_every_rule_is_complete_and_bilingual(code: str) -> None:
    rule = get_rule(code)
    assert rule.title_en.strip()
    assert rule.title_vi.strip()
    assert rule.message_en.strip()
    assert rule.message_vi.strip()
    assert rule.spec_ref.strip()
    declared = set(rule.params) | LOCATION_KEYS
    for template in (rule.message_en, rule.message_vi):
        used = _template_fields(template)
        assert used <= declared, f"{code}: template uses undeclared {used - declared}"
    # English and Vietnamese templates carry the same facts.
    assert _template_fields(rule.message_en) == _template_fields(rule.message_vi), code
    assert rule.message_vi != rule.message_en, f"{code}: the Vietnamese message is a copy of the English one"


def test_unknown_code_fails_loudly() -> None:
    with pytest.raises(KeyError, match="NOPE999"):
        finding("NOPE999")


def test_finding_renders_params_and_location_in_both_languages() -> None:
    f = finding("IO001", path="Hồ sơ 01/001.pdf", reason="permission denied")
    assert f.severity is Severity.ERROR
    assert f.message("en") == "Cannot read Hồ sơ 01/001.pdf: permission denied."
    assert f.message("vi") == "Không đọc được tệp Hồ sơ 01/001.pdf: permission denied."
    assert f.to_dict("vi")["location"] == {"path": "Hồ sơ 01/001.pdf"}


def test_missing_param_is_visible_not_a_crash() -> None:
    f = finding("IO001", path="x")
    assert "{reason}" in f.message("en")


def test_severity_override_and_parse() -> None:
    f = finding("IO001", path="x", reason="r", severity=Severity.WARNING)
    assert f.severity is Severity.WARNING
    assert Severity.parse(" Warning ") is Severity.WARNING
    with pytest.raises(ValueError, match="unknown severity"):
        Severity.parse("fatal")


def test_report_sorts_counts_and_thresholds() -> None:
    warn = finding("IO001", path="b", reason="r", severity=Severity.WARNING)
    err = finding("IO001", path="a", reason="r")
    info = finding("IO002", path="c", severity=Severity.INFO)
    report = Report(subject="pkg", profile="bagit", findings=[info, warn, err])
    assert [f.severity for f in report.findings] == [Severity.ERROR, Severity.WARNING, Severity.INFO]
    assert report.counts() == {"error": 1, "warning": 1, "info": 1}
    assert not report.valid
    assert report.worst() is Severity.ERROR
    lenient = Report(subject="pkg", profile="bagit", findings=[info, warn])
    assert lenient.valid
    strict = Report(subject="pkg", profile="bagit", findings=[info], threshold=Severity.INFO)
    assert not strict.valid


def test_report_dict_is_deterministic() -> None:
    items = [finding("IO001", path=f"p{i}", reason="r") for i in range(5)]
    a = Report(subject="s", profile="p", findings=items, skipped=(Skipped(check="hash", reason="x"),))
    b = Report(
        subject="s", profile="p", findings=list(reversed(items)), skipped=(Skipped(check="hash", reason="x"),)
    )
    assert a.to_dict("en") == b.to_dict("en")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LUUTRU_AIP_LANG": "vi"}, "vi"),
        ({"LUUTRU_AIP_LANG": "en", "LANG": "vi_VN.UTF-8"}, "en"),
        ({"LANG": "vi_VN.UTF-8"}, "vi"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "vi_VN.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LUUTRU_AIP_LANG": "fr", "LANG": "vi_VN"}, "vi"),
    ],
)
def test_default_language(env: dict[str, str], expected: str) -> None:
    assert default_language(env) == expected


@given(
    path=st.text(min_size=1, max_size=40),
    line=st.none() | st.integers(min_value=0, max_value=10**9),
    reason=st.text(max_size=80),
)
def test_any_finding_renders_and_serialises(path: str, line: int | None, reason: str) -> None:
    f = finding("IO001", path=path, line=line, reason=reason)
    for lang in ("vi", "en"):
        assert isinstance(f.message(lang), str)
        d = f.to_dict(lang)
        assert d["code"] == "IO001"
    assert isinstance(Finding.sort_key(f), tuple)
    assert str(Location(path=path, line=line))
