"""The digest as Markdown, for a chat message, an e-mail or a terminal."""

from __future__ import annotations

from app.digest.schemas import DigestEntry, DigestRead, TicketRef

SECTIONS = ("done", "started", "added", "removed")


def render(digest: DigestRead) -> str:
    totals = digest.totals
    scope = f" for team {digest.team}" if digest.team else ""
    lines = [
        f"# Digest{scope}: {digest.since:%Y-%m-%d %H:%M} to {digest.until:%Y-%m-%d %H:%M} UTC",
        "",
        f"**{totals.done} done · {totals.started} started · {totals.added} added · "
        f"{totals.removed} removed · {totals.slipped} slipped · {totals.at_risk} at risk**",
    ]
    if not digest.items:
        lines += ["", "Nothing happened on the roadmap in this period."]
    for entry in digest.items:
        lines += ["", *_entry(entry)]
    return "\n".join(lines) + "\n"


def _entry(entry: DigestEntry) -> list[str]:
    item = entry.item
    title = f"[{item.key}]({item.url})" if item.url else item.key
    lines = [f"## {title} {item.title}"]
    if entry.at_risk:
        lines.append(f"- **At risk**: {', '.join(entry.risk_reasons)}")
    for move in entry.slipped:
        days = f" ({move.days:+d} days)" if move.days is not None else ""
        lines.append(f"- Target date moved {move.old or 'none'} → {move.new or 'none'}{days}")
    for section in SECTIONS:
        refs: list[TicketRef] = getattr(entry, section)
        if refs:
            shown = ", ".join(_ticket(ref) for ref in refs)
            lines.append(f"- {section.capitalize()} ({len(refs)}): {shown}")
    return lines


def _ticket(ref: TicketRef) -> str:
    text = f"{ref.key} {ref.title}"
    return f"[{text}]({ref.url})" if ref.url else text
