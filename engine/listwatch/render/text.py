"""Text for Graphviz labels: escaping for HTML-like labels and wrapping long spec prose.

Pure functions; no Graphviz here. Every label a picture shows passes through one of them, so
that a spec title with `<`, `&` or a very long sentence can never break a DOT file or a layout.
"""

from __future__ import annotations

import html
import textwrap


def escape(text: str) -> str:
    """Text made safe inside an HTML-like label (`&`, `<`, `>` and quotes escaped)."""
    return html.escape(text, quote=True)


def wrap(text: str, width: int) -> list[str]:
    """The words of `text` in lines of at most `width` characters (a longer word stands alone)."""
    return textwrap.wrap(
        " ".join(text.split()), width=width, break_long_words=False, break_on_hyphens=False
    ) or [""]


def html_lines(text: str, width: int) -> str:
    """`text` wrapped and escaped, its lines joined by left-aligned HTML line breaks."""
    return (
        '<br align="left"/>'.join(escape(line) for line in wrap(text, width)) + '<br align="left"/>'
    )


#: DOT's escape for a centred line break in a plain label; a real newline would split the statement.
LINE_BREAK = "\\n"


def plain_lines(text: str, width: int) -> str:
    """`text` wrapped into a plain (non-HTML) label, its lines separated by DOT's centred line
    breaks."""
    return LINE_BREAK.join(wrap(text, width))


def plain_left(text: str, width: int) -> str:
    """`text` wrapped into a plain label whose lines are left-aligned (DOT's `\\l` ends each
    line)."""
    return "".join(line + "\\l" for line in wrap(text, width))
