"""``luutru-aip rules [CODE]``: list the rule catalogue, or show one rule."""

from __future__ import annotations

import click

from luutru_aip.cli._common import AppContext, common_options, emit_json, json_option, pass_ctx
from luutru_aip.errors import UsageError
from luutru_aip.findings import Rule, catalogue
from luutru_aip.render.rules_doc import rules_markdown


def _rule_dict(rule: Rule) -> dict[str, object]:
    return {
        "code": rule.code,
        "severity": rule.severity.label,
        "spec_ref": rule.spec_ref,
        "category": rule.category,
        "title": {"en": rule.title_en, "vi": rule.title_vi},
        "message": {"en": rule.message_en, "vi": rule.message_vi},
        "params": list(rule.params),
    }


@click.command(name="rules")
@click.argument("code", required=False)
@click.option("--category", help="Only rules of this category (for example bagit, xml, fs).")
@click.option("--markdown", is_flag=True, help="Print the catalogue as the Markdown of docs/rules.md.")
@json_option
@common_options
@pass_ctx
def command(app: AppContext, code: str | None, category: str | None, markdown: bool, as_json: bool) -> int:
    """List the rule catalogue, or show the rule CODE in full."""
    rules = catalogue()
    if markdown:
        click.echo(rules_markdown(), nl=False)
        return 0
    if code is not None:
        rule = rules.get(code.upper())
        if rule is None:
            raise UsageError(f"no rule has the code {code!r}; run `luutru-aip rules` for the list")
        if as_json:
            emit_json(_rule_dict(rule))
            return 0
        other = "en" if app.lang == "vi" else "vi"
        click.echo(f"{rule.code}  {rule.severity.label}  [{rule.spec_ref}]  ({rule.category})")
        click.echo(f"  {rule.title(app.lang)}")
        click.echo(f"  {app.lang}: {rule.template(app.lang)}")
        click.echo(f"  {other}: {rule.template(other)}")
        if rule.params:
            click.echo(f"  params: {', '.join(rule.params)}")
        return 0
    selected = [r for r in rules.values() if category is None or r.category == category]
    if category is not None and not selected:
        known = ", ".join(sorted({r.category for r in rules.values()}))
        raise UsageError(f"no rule has the category {category!r} (known: {known})")
    if as_json:
        emit_json({"rules": [_rule_dict(r) for r in selected]})
        return 0
    for rule in selected:
        click.echo(f"{rule.code:<8} {rule.severity.label:<8} {rule.spec_ref:<22} {rule.title(app.lang)}")
    return 0
