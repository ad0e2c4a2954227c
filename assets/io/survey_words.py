"""The French words an import reads as each choice, as Markdown tables (one per kind), for docs/SURVEYS.md.

``python -m assets.io.survey_words`` prints them; a test keeps the document equal to the specs.
"""

from __future__ import annotations

from assets.kinds import all_kinds, spec_for


def needs_table() -> str:
    """Per kind: what an asset cannot exist without, and what a complete record has."""
    out = ["| kind | cannot exist without (a row lacking it is rejected) | a complete record has (else: incomplete) "
           "| codes made |", "|---|---|---|---|"]
    for kind in all_kinds():
        spec = spec_for(kind)
        needed = ["geometry"] if spec.geometry_required else []
        needed += ["code (made if absent)", *spec.required]
        if spec.parent_required:
            needed.append("parent (" + " or ".join(spec.parent_kinds) + ")")
        complete = ", ".join(spec.complete) or "—"
        out.append(f"| {kind} | {', '.join(needed)} | {complete} | `{spec.code_template}` |")
    return "\n".join(out) + "\n"


def words_tables() -> str:
    """One table per kind with choices: field, choice, English label, French words (label first)."""
    out: list[str] = []
    for kind in all_kinds():
        spec = spec_for(kind)
        if not spec.choices:
            continue
        out += [f"### {kind} — {spec.label_fr}", "", "| field | choice | English | French words read as it |",
                "|---|---|---|---|"]
        for name, values in spec.choices.items():
            for value in values:
                words = spec.choice_words.get(name, {}).get(value, ())
                out.append(f"| {name} | {value} | {spec.choice_label(name, value)} | {', '.join(words) or '—'} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(needs_table())
    print(words_tables())
