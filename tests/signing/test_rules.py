"""The SIG rule catalogue: every code is triggered by some test here, and the texts are bilingual."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from luutru_aip.findings import get_rule

CATALOGUE = tomllib.loads(
    resources.files("luutru_aip").joinpath("data", "rules", "signing.toml").read_text(encoding="utf-8")
)
HERE = Path(__file__).parent
VIETNAMESE = re.compile(
    "[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.IGNORECASE
)


def _test_sources() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in HERE.glob("test_*.py") if p.name != "test_rules.py"
    )


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_is_exercised_by_a_test(code: str) -> None:
    assert f'"{code}"' in _test_sources(), f"no test in tests/signing triggers {code}"


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_rule_texts(code: str) -> None:
    rule = get_rule(code)
    assert rule.category == "signing"
    assert VIETNAMESE.search(rule.message_vi), code
    assert VIETNAMESE.search(rule.title_vi), code
    for forbidden in ("expected digest", "private key"):
        assert forbidden not in rule.message_en.lower()


def test_codes_are_consecutive() -> None:
    numbers = sorted(int(code[3:]) for code in CATALOGUE)
    assert numbers == list(range(1, len(numbers) + 1))
