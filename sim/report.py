"""The comparison report a strategist reads: Markdown, and self-contained HTML with the plots inside."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from sim.compare import Comparison, Effect, describe
from sim.explain import Contribution

DISCLAIMER = ("The model is a structured thought experiment grounded in the source documents, not a forecast; "
              "intervals show spread over shocks and uncertain parameters, not over model structure.")


def report_sections(comparison: Comparison, question: str, effects: list[Effect],
                    contributions: list[Contribution], plots: list[str], meta: dict) -> list[tuple[str, object]]:
    """Report content as (kind, value) blocks, rendered to Markdown and HTML alike."""
    blocks: list[tuple[str, object]] = [
        ("h1", f"{comparison.whatif.scenario} compared with {comparison.baseline.scenario}"),
        ("p", f"**Question.** {question}" if question else "**Question.** (the what-if has no description)"),
        ("p", f"{meta['replicates']} paired replicates, seed {meta['seed']}, common random numbers; "
              f"{comparison.difference.dates[0]} to {comparison.difference.dates[-1]}."),
    ]
    for warning in comparison.warnings:
        blocks.append(("p", f"**Warning:** {warning}"))
    blocks.append(("h2", "Largest effects"))
    blocks.append(("ul", [e.sentence() for e in effects] or ["No measurable difference: the what-if changes nothing "
                                                             "the model records."]))
    if contributions:
        blocks.append(("h2", "What explains them"))
        blocks.append(("p", "Each change in the what-if was reverted on its own and the run repeated on the same "
                            "replicates; its contribution is the paired difference it makes. Contributions need not "
                            "add up: the remainder is the interaction between changes."))
        rows = [["change", "evidence", "outcome", "contribution (90% interval)"]]
        for c in contributions:
            rows.append([c.component, c.evidence, describe(*c.outcome),
                         f"{c.mean:+.3f} ({c.low:+.3f} to {c.high:+.3f})"])
        blocks.append(("table", rows))
    blocks.append(("h2", "Plots"))
    for plot in plots:
        blocks.append(("img", plot))
    blocks.append(("p", f"*{DISCLAIMER}* Full numbers: `effects.csv`."))
    return blocks


def to_markdown(blocks: list[tuple[str, object]]) -> str:
    out = []
    for kind, value in blocks:
        if kind == "h1":
            out.append(f"# {value}\n")
        elif kind == "h2":
            out.append(f"## {value}\n")
        elif kind == "p":
            out.append(f"{value}\n")
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in value) + "\n")
        elif kind == "table":
            header, *rows = value
            lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
            out.append("\n".join(lines) + "\n")
        elif kind == "img":
            out.append(f"![{Path(value).stem}]({value})\n")
    return "\n".join(out)


def _inline(text: str) -> str:
    """Escape, then the two bits of Markdown the report uses: **bold** and `code`, *italic*."""
    import re

    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"`(.+?)`", r"<code>\1</code>", text)
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", text)


def to_html(blocks: list[tuple[str, object]], folder: Path) -> str:
    body = []
    for kind, value in blocks:
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{_inline(value)}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_inline(value)}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in value) + "</ul>")
        elif kind == "table":
            header, *rows = value
            head = "".join(f"<th>{_inline(h)}</th>" for h in header)
            cells = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
        elif kind == "img":
            data = base64.b64encode((folder / value).read_bytes()).decode()
            body.append(f'<figure><img alt="{html.escape(Path(value).stem)}" src="data:image/png;base64,{data}">'
                        "</figure>")
    style = ("body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222;"
             "line-height:1.45}table{border-collapse:collapse;font-size:.85em;width:100%}th,td{border:1px solid "
             "#ccc;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}"
             "figure{margin:1em 0}code{background:#f3f3f3;padding:0 .2em}li{margin:.3em 0}")
    title = html.escape(str(blocks[0][1]))
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
