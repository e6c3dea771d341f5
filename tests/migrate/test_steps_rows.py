"""The migration table: every row exercised, the registry, and properties of one step (hypothesis)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from luutru_aip.errors import UsageError
from luutru_aip.migrate import Registry, default_registry, load_step
from luutru_aip.migrate._plan import Change, Opened, Plan, _migrate_simpledc, replace_terms
from luutru_aip.vocab import field_table

STEP = default_registry().steps[0]
FREE = ("title", "description", "keyword")


def _plan(codes: str | None, package_type: str = "AIP") -> Plan:
    opened = Opened(input=Path("pkg"), kind="dir", root=Path("pkg"), bag=None, files=[])
    return Plan(
        opened=opened,
        objid="urn:uuid:x",
        package_type=package_type,
        declared=None,
        source_version="legacy-2011",
        codes=codes,
    )


def _doc(children: list[tuple[str, str]]) -> etree._ElementTree:
    root = etree.Element("simpledc")
    for tag, text in children:
        etree.SubElement(root, tag).text = text
    return etree.ElementTree(root)


def _run(
    children: list[tuple[str, str]], level: str = "file", codes: str | None = None, package_type: str = "AIP"
):
    plan = _plan(codes, package_type)
    tree = _doc(children)
    changes: list[Change] = []
    _migrate_simpledc(plan, STEP, "metadata/descriptive/EAD.xml", tree, level, changes)
    fields = {c.tag: c.text or "" for c in tree.getroot() if isinstance(c.tag, str)}
    return plan, changes, fields


@pytest.mark.parametrize("row", STEP.tags, ids=lambda r: f"{r.level}-{r.old}-{'/'.join(r.packages)}")
def test_every_tag_row(row) -> None:  # type: ignore[no-untyped-def]
    package_type = row.packages[0]
    _, changes, fields = _run([(row.old, "Giá trị")], level=row.level, package_type=package_type)
    if row.new:
        assert fields == {row.new: "Giá trị"}
        assert [(c.kind, c.old, c.new, c.source) for c in changes] == [("tag", row.old, row.new, row.source)]
    else:
        assert fields == {}
        assert [(c.kind, c.old) for c in changes] == [("tag-removed", "Giá trị")]


@pytest.mark.parametrize("row", STEP.values, ids=lambda r: f"{r.field}-{r.codes}-{r.old}")
def test_every_value_row(row) -> None:  # type: ignore[no-untyped-def]
    level = "file"
    plan, changes, fields = _run([(row.field, row.old)], level=level, codes=row.codes)
    if row.new == row.old:  # the same code in both lists: kept, no change
        assert fields[row.field] == row.new
        assert not plan.findings
        assert not [c for c in changes if c.kind == "value"]
    elif row.new:
        assert fields[row.field] == row.new
        assert [c.source for c in changes if c.kind == "value"] == [row.source]
        assert not plan.findings
    else:
        assert fields[row.field] == row.old  # nothing guessed
        assert [(f.code, f.location.field, f.params["found"]) for f in plan.findings] == [
            ("MIG005", row.field, row.old)
        ]


@pytest.mark.parametrize("row", STEP.texts, ids=lambda r: r.old)
def test_every_text_row(row) -> None:  # type: ignore[no-untyped-def]
    new, used = replace_terms(f"Kế hoạch {row.old} năm 2020", STEP.texts)
    assert row in used
    assert row.new in new
    capital, _ = replace_terms(row.old[:1].upper() + row.old[1:], STEP.texts)
    assert capital[:1].isupper()
    assert capital == row.new[:1].upper() + row.new[1:]  # replaced, and the capital carried over


def test_numeric_code_in_a_redefined_field_needs_the_code_list() -> None:
    plan, _changes, fields = _run([("mode", "01")])
    assert [(f.code, f.location.field) for f in plan.findings] == [("MIG003", "mode")]
    assert fields["mode"] == "01"
    plan, _changes, fields = _run([("maintenance", "1")])  # maintenance codes mean the same everywhere
    assert not plan.findings
    assert fields["maintenance"] == "01"


def test_unknown_and_ambiguous_values_are_findings() -> None:
    plan, _c, _f = _run([("maintenance", "mãi mãi")])
    assert [f.code for f in plan.findings] == ["MIG002"]
    plan, _c, _f = _run([("language", "Tiếng Nhật")])  # a legacy value, not a TT05 language
    assert [f.code for f in plan.findings] == ["MIG004"]
    plan, _c, _f = _run([("Arrival", "x")])
    assert [f.code for f in plan.findings] == ["MIG006"]


def test_registry_chain_and_detection(tmp_path: Path) -> None:
    registry = default_registry()
    assert registry.latest == "tt05-2025"
    assert registry.detect("02/2019/TT-BNV") == "legacy-2011"
    assert registry.detect("05/2025/TT-BNV") == "tt05-2025"
    assert registry.detect("something else") is None
    assert registry.chain("tt05-2025", "tt05-2025") == ()
    with pytest.raises(LookupError):
        registry.chain("tt05-2025", "legacy-2011")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "x"\nfrom = "a"\nto = "b"\nversion = "1"\ntitle_vi = "x"\ntitle_en = "x"\n'
        '[declaration]\nto_content_information_type = "b"\nsource = "s"\n'
        '[codelists.tt05]\ntitle = "t"\n'
        '[[value]]\nfield = "mode"\ncodes = "tt05"\nold = "9"\nnew = "99"\nsource = "s"\n',
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match="value row 1"):
        load_step(bad)
    with pytest.raises(UsageError, match="two migration steps start"):
        Registry(steps=(STEP, STEP))


_LEGACY_TAGS = [r for r in STEP.tags if r.level == "file" and "AIP" in r.packages]
_CODE_VALUES = {
    "maintenance": ["01", "1", "Vĩnh viễn", "70 năm", "Lâu dài", "xyz"],
    "mode": ["Hạn chế", "Không hạn chế", "Công khai", "01", "Mật"],
    "language": ["Tiếng Việt", "01, 02", "05", "Hán Nôm"],
    "format": ["Tốt", "02", "Hỏng"],
    "confidenceLevel": ["Số hóa", "Bản chính", "02"],
}
_OLD_TERMS = [t.old for t in STEP.texts] + ["thời hạn bảo quản", "lưu trữ cơ quan"]
_free_text = st.lists(
    st.sampled_from([*_OLD_TERMS, "Hồ sơ", "năm 2001", "  ", "Quỳnh Lưu", "&<>"]), max_size=4
).map(" ".join)


@st.composite
def _documents(draw: st.DrawFn) -> list[tuple[str, str]]:
    children: list[tuple[str, str]] = []
    for tag in draw(st.lists(st.sampled_from(_LEGACY_TAGS), unique_by=lambda r: r.new or r.old, max_size=5)):
        children.append((tag.old, draw(_free_text)))
    used = {t for t, _ in children} | {r.new for r in _LEGACY_TAGS if r.old in {t for t, _ in children}}
    for field, values in _CODE_VALUES.items():
        if field not in used and draw(st.booleans()):
            children.append((field, draw(st.sampled_from(values))))
    for field in FREE:
        if field not in used and draw(st.booleans()):
            children.append((field, draw(_free_text)))
    return draw(st.permutations(children))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(children=_documents(), codes=st.sampled_from([None, "text-2011", "vendor-2019", "tt05"]))
def test_one_step_changes_only_mapped_fields_and_is_idempotent(
    children: list[tuple[str, str]], codes: str | None
) -> None:
    plan, changes, fields = _run(children, codes=codes)
    mapped_tags = {r.old: r.new for r in _LEGACY_TAGS}
    free = {s.tag_for("AIP") for s in field_table("file", "AIP") if s.type == "string"}
    # no field outside the mapping changes: free text keeps its exact value under its (new) name
    for tag, text in children:
        name = mapped_tags.get(tag, tag)
        if name in free and name in fields:
            assert fields[name] == text
    changed_fields = {c.field for c in changes}
    assert not (changed_fields & (free - set(mapped_tags)))
    if plan.blocked:
        return
    # a second pass over the result (now TT05 codes) changes nothing
    again, second, refields = _run(list(fields.items()), codes="tt05")
    assert [c for c in second if c.kind != "declaration"] == []
    assert refields == fields
    assert not again.blocked
