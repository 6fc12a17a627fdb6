"""Render: an :class:`Answer` as Markdown, an HTML fragment or JSON.

All three carry the same content: sections with inline numbered citations,
the reference list with evidence-type badges, dates and links, and the dated
disclaimer.  HTML escapes every piece of text that came from a document or a
user.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from html import escape

from evidex.answer.types import Answer, Claim, Reference
from evidex.search.retrieve import SearchResult

VERDICT_LABELS = {"yes": "Yes", "no": "No", "uncertain": "Uncertain"}


def to_json(answer: Answer) -> str:
    return answer.model_dump_json(indent=2)


def cite(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


# MedQuAD titles its pages with a question template: "What is (are) Tooth Disorders ?".
_WHAT_IS_ARE = re.compile(r"^what is \(are\)\s+(.+?)\s*\?*\s*$", re.IGNORECASE)


def display_title(title: str) -> str:
    """A document title as a reader should see it: "What is (are) Tooth Disorders ?" is
    "Tooth Disorders", "Who is at risk for Gout? ?" is "Who is at risk for Gout?"; the
    stored title is unchanged."""
    title = " ".join(title.split())
    topic = _WHAT_IS_ARE.match(title)
    if topic:
        return topic.group(1)
    title = re.sub(r"\s*\?(?:\s*\?)*$", "?", title)
    return title[:1].upper() + title[1:]


def reference_link(ref: Reference) -> str:
    """Where the source can be read: the address its record gives, else its DOI; "" when the
    record holds neither (evidex never builds an address the source did not give)."""
    return ref.url or (f"https://doi.org/{ref.doi}" if ref.doi else "")


def reference_line(ref: Reference) -> str:
    """"Guideline · Title. Organisation, 2017 (2013 Sep 3). n = 120." without markup."""
    title = display_title(ref.title)
    parts = [title if title.endswith(("?", "!")) else f"{title.rstrip('.')}."]
    where = ref.source or ""
    when = str(ref.year) if ref.year else "undated"
    parts.append(f"{where}, {when}." if where else f"{when}.")
    if ref.sample_size:
        parts.append(f"n = {ref.sample_size:,}.")
    return " ".join(parts)


def _age_note(ref: Reference) -> str:
    return "older than 10 years; check for newer guidance" if ref.outdated else ""


# Over the sources shown when evidex abstains: where to look, not what the evidence says
CLOSEST_TITLE = "Nearest sources in the index (evidex found no sentence in them that answers this question)"


def to_markdown(answer: Answer) -> str:
    lines = [f"# {answer.question}", ""]
    meta = f"*For: {answer.audience} · Topic: {answer.topic} · Question type: {answer.question_type}*"
    lines += [meta, ""]
    if answer.inherited:
        lines += [f"*{inherited_line(answer.inherited)}*", ""]
    if answer.abstained:
        lines += [f"**Insufficient evidence.** {answer.abstain_reason}", ""]
    if answer.verdict:
        v = answer.verdict
        lines += [f"**Verdict: {VERDICT_LABELS[v.value]}** — based on: “{v.basis}” {cite(v.citations)}", ""]
    for section in answer.sections:
        lines += [f"## {section.title}", ""]
        for note in section.notes:
            lines.append(f"> **Note:** {note.text}" if section.key != "urgent" else f"> ⚠ **{note.text}**")
            lines.append("")
        for claim in section.claims:
            extra = f" *({claim.note})*" if shows_note(answer, claim) else ""
            lines.append(f"- {claim.text} {cite(claim.citations)}{extra}")
        lines.append("")
    if answer.closest:  # after any urgent notice: where to read further, not what to do
        lines += [f"## {CLOSEST_TITLE}", ""]
        lines += [f"- {_markdown_entry(ref)}" for ref in answer.closest]
        lines.append("")
    if answer.references:
        lines += ["## References", ""]
        lines += [f"{ref.number}. {_markdown_entry(ref)}" for ref in answer.references]
        lines.append("")
    lines += ["---", "", f"*{answer.disclaimer}*", ""]
    return "\n".join(lines)


def _markdown_entry(ref: Reference) -> str:
    """A source as the Markdown lists it: badge, title, where to find it, and its age."""
    where = reference_link(ref) or (f"Published as: {ref.citation}" if ref.citation else "")
    age = f" ⚠ *{_age_note(ref)}*" if ref.outdated else ""
    return f"**[{ref.badge}]** {reference_line(ref)} {where}{age}".rstrip()


def _html_entry(ref: Reference) -> str:
    """A source as the HTML lists it: badge, title, where to find it, and its age."""
    link = reference_link(ref)
    if link:
        anchor = f' <a class="source-link" href="{escape(link)}" rel="noopener">{escape(link)}</a>'
    else:
        anchor = f' <span class="citation">Published as: {escape(ref.citation)}</span>' if ref.citation else ""
    age = f' <span class="outdated">{_age_note(ref)}</span>' if ref.outdated else ""
    return f'<span class="badge badge-{ref.kind}">{escape(ref.badge)}</span> {escape(reference_line(ref))}{anchor}{age}'


def shows_note(answer: Answer, claim: Claim) -> bool:
    """A claim's note (the guideline's recommendation strength and review status) is for
    clinicians; the patient view leaves the grading out, the claim itself is the same."""
    return bool(claim.note) and answer.audience != "patient"


_FROM_EARLIER = re.compile(r"^(?P<what>.+?) \(from “(?P<question>.+)”\)$")


def inherited_line(inherited: list[str], name_questions: bool = True) -> str:
    """"Follow-up question; from “Q”: Sciatica, Exercise" — each earlier question named once,
    however many of its topics and patient details the follow-up took over (not at all
    without ``name_questions``, for a page that shows the conversation already)."""
    groups: dict[str, list[str]] = {}
    for item in inherited:
        match = _FROM_EARLIER.match(item)
        what, question = (match["what"], match["question"]) if match else (item, "")
        groups.setdefault(question if name_questions else "", []).append(what)
    parts = [f"from “{q}”: {', '.join(items)}" if q else ", ".join(items) for q, items in groups.items()]
    return ("Follow-up question; " if name_questions else "Follow-up question; carried over from earlier: ") + "; ".join(parts)


def _html_claim(claim: Claim, references: dict[int, Reference], key: str, note: bool) -> str:
    """A claim with its citations; each citation carries its quote in a tooltip
    that shows on hover and on keyboard focus (CSS only, no script)."""
    links = []
    for n in claim.citations:
        ref = references[n]
        tip_id = f"quote-{key}-{n}"
        links.append(
            f'<span class="cite-wrap"><a class="cite" href="#ref-{n}" data-quote="{escape(claim.quote.text)}" '
            f'aria-describedby="{tip_id}">[{n}]</a>'
            f'<span class="quote" role="tooltip" id="{tip_id}">“{escape(claim.quote.text)}” '
            f'<cite>— [{n}] {escape(ref.badge)}: {escape(reference_line(ref))}</cite></span></span>'
        )
    shown = f' <span class="strength">({escape(claim.note)})</span>' if note else ""
    return f"<li>{escape(claim.text)} {''.join(links)}{shown}</li>"


def to_html(answer: Answer, heading: bool = True, disclaimer: bool = True, conversation: bool = True) -> str:
    """An HTML fragment (no <html>/<body>) for embedding in a page; ``heading``
    adds the question as its <h1>, ``disclaimer`` the dated disclaimer and
    ``conversation`` the earlier questions a follow-up inherited from (a page that
    shows its own title, disclaimer or conversation leaves them out)."""
    refs = {r.number: r for r in answer.references}
    out = ['<article class="evidex-answer" lang="en">']
    if heading:
        out.append(f"<h1>{escape(answer.question)}</h1>")
    if answer.inherited:
        out.append(f'<p class="inherited">{escape(inherited_line(answer.inherited, conversation))}</p>')
    if answer.abstained:
        out.append(f'<p class="abstained"><strong>Insufficient evidence.</strong> {escape(answer.abstain_reason or "")}</p>')
    if answer.verdict:
        v = answer.verdict
        cites = "".join(f'<a class="cite" href="#ref-{n}">[{n}]</a>' for n in v.citations)
        out.append(f'<p class="verdict"><strong>Verdict: {VERDICT_LABELS[v.value]}</strong> — “{escape(v.basis)}” {cites}</p>')
    for s_index, section in enumerate(answer.sections):
        out.append(f'<section class="{section.key}"><h2>{escape(section.title)}</h2>')
        out += [f'<p class="note" role="note">{escape(n.text)}</p>' for n in section.notes]
        if section.claims:
            items = [
                _html_claim(c, refs, f"{s_index}-{c_index}", shows_note(answer, c)) for c_index, c in enumerate(section.claims)
            ]
            out.append("<ul>" + "".join(items) + "</ul>")
        out.append("</section>")
    if answer.closest:  # after any urgent notice: where to read further, not what to do
        out.append(f'<section class="closest"><h2>{escape(CLOSEST_TITLE)}</h2><ul>')
        out += [f"<li>{_html_entry(ref)}</li>" for ref in answer.closest]
        out.append("</ul></section>")
    if answer.references:
        out.append('<section class="references"><h2>References</h2><ol>')
        out += [f'<li id="ref-{ref.number}">{_html_entry(ref)}</li>' for ref in answer.references]
        out.append("</ol></section>")
    if disclaimer:
        out.append(f'<p class="disclaimer">{escape(answer.disclaimer)}</p>')
    out.append("</article>")
    return "\n".join(out)


def search_result_data(result: SearchResult) -> dict:
    """Search results as JSON-ready data: every hit with its document facts and score parts."""
    return {
        "query": result.query,
        "lexical_query": result.lexical_query,
        "expansion_query": result.expansion_query,
        "concepts": [c.model_dump() for c in result.expanded.concepts],
        "took_ms": round(result.took_ms, 1),
        "hits": [
            {
                "passage_id": h.passage_id,
                "doc_id": h.document.id,
                "title": h.document.title,
                "kind": h.document.kind.value,
                "year": h.document.year,
                "source": h.document.organisation or h.document.journal or h.document.source,
                "retracted": h.document.retracted,
                "label": h.passage.label,
                "text": h.passage.text,
                "url": h.document.url,
                "score": asdict(h.parts),
            }
            for h in result.hits
        ],
    }
