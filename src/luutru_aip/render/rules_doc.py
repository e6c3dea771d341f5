"""``docs/rules.md``, generated from the rule catalogue (checked in CI by ``nox -s docs``)."""

from __future__ import annotations

from collections import defaultdict

from luutru_aip.findings import Rule, catalogue

HEADER = """\
<!-- Generated from src/luutru_aip/data/rules/*.toml by `luutru-aip rules --markdown`.
     Do not edit by hand: edit the catalogue and regenerate; CI checks that this file is current. -->
# Rule catalogue / Danh mục quy tắc

Every finding carries a stable rule code. Codes are never renumbered or reused.
Severity follows the requirement: MUST → error, SHOULD → warning, MAY → info.

Mỗi phát hiện mang một mã quy tắc ổn định; mã không bao giờ bị đánh số lại hay dùng lại.
Mức độ theo yêu cầu của chuẩn: BẮT BUỘC → lỗi, NÊN → cảnh báo, CÓ THỂ → thông tin.
"""


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rule_rows(rules: list[Rule]) -> list[str]:
    rows = [
        "| code | severity | spec | title (en) | tiêu đề (vi) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in rules:
        rows.append(
            f"| `{rule.code}` | {rule.severity.label} | {_escape(rule.spec_ref)} | "
            f"{_escape(rule.title_en)} | {_escape(rule.title_vi)} |"
        )
    return rows


def _rule_details(rule: Rule) -> list[str]:
    params = ", ".join(f"`{p}`" for p in rule.params) or "—"
    return [
        f"### {rule.code}",
        "",
        f"- severity: **{rule.severity.label}**; spec: {rule.spec_ref}; parameters: {params}",
        f"- en: {rule.message_en}",
        f"- vi: {rule.message_vi}",
        "",
    ]


def rules_markdown() -> str:
    by_category: dict[str, list[Rule]] = defaultdict(list)
    for rule in catalogue().values():
        by_category[rule.category].append(rule)
    out = [HEADER]
    for category in sorted(by_category):
        rules = by_category[category]
        out.append(f"## {category}")
        out.append("")
        out.extend(_rule_rows(rules))
        out.append("")
        for rule in rules:
            out.extend(_rule_details(rule))
    return "\n".join(out).rstrip() + "\n"
