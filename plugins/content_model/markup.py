"""Markdown bodies to safe HTML, and summaries that work for Chinese text.

One Markdown converter is reused for every file (making one per file is slow); a
body that crashes it or makes it crawl is reported for that file, never a hang or a
traceback.
"""

from __future__ import annotations

import re
import signal
import threading
from contextlib import contextmanager
from html import unescape
from html.parser import HTMLParser

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

# What correspondents legitimately paste from Word and the web: text structure,
# tables, images and links. Scripts, frames, forms, styles and event handlers go.
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "b", "em", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small",
    "blockquote", "q", "cite", "abbr", "code", "pre", "span", "div",
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col",
    "img", "a", "figure", "figcaption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

# Markup that sanitizing removes and that the editor should hear about.
_DANGEROUS = re.compile(
    r"<\s*(?P<tag>script|iframe|frame|object|embed|style|form|link|meta|base)\b"
    r"|\s(?P<handler>on[a-z]+)\s*="
    r"|(?P<scheme>(?:java|vb)script\s*:)",
    re.IGNORECASE,
)

MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]

# The inline patterns those extensions register, and what each needs to match: a
# backtick, a backslash, "[", "<", "&", "*" or "_", or a line break ("  \n").
_INLINE_PATTERNS = frozenset({
    "backtick", "escape", "footnote", "reference", "link", "image_link", "image_reference",
    "short_reference", "short_image_ref", "autolink", "automail", "linebreak", "html",
    "entity", "em_strong",
})  # fmt: skip
_INLINE_MARKUP = re.compile(r"[`\\\[<&*_]|  \n")


class _PlainTextInline(InlineProcessor):
    """Python-Markdown's inline step, minus its pattern loop on text that has no markup.

    A Chinese paragraph rarely holds inline markup, yet each of its text runs was
    tried against every pattern in turn (two fifths of a body's conversion). Text
    in which no pattern can match comes out of that loop unchanged; it is now
    returned as it is. (Overrides InlineProcessor's private `__handleInline`, which
    the pinned Markdown version calls for every text run.)
    """

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if not isinstance(data, AtomicString) and _INLINE_MARKUP.search(data) is None:
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)


class _PlainTextExtension(Extension):
    """Install `_PlainTextInline` when the inline patterns are the ones it knows."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        if {item.name for item in md.inlinePatterns._priority} == _INLINE_PATTERNS:
            md.treeprocessors.register(_PlainTextInline(md), "inline", 20)


# What Python-Markdown makes of a body of plain paragraphs and "#" headings, made
# without it. Converting took two fifths of reading a file, though most news items
# are such bodies: Chinese paragraphs, now and then a heading. A body qualifies when
# it holds none of the characters any other syntax of MARKDOWN_EXTENSIONS needs
# (inline markup, lists, quotes, tables, code, footnotes, definitions, attributes,
# HTML, rules and underlined headings), no line starts with a space (code, and
# continuations) or with what starts a list, and every "#" starts a heading that is a
# block of its own line. Anything else goes through Markdown, as before.
_MARKUP_CHARS = re.compile(r"[`\\\[\]<>&*_|{}~\x00-\x09\x0b-\x1f\x7f\x85\u2028\u2029]")
_LINE_START = re.compile(r"\n(?:[ \-+=:]|\d+[.)])")  # searched in "\n" + the body
_HEADING = re.compile(r"(#{1,6})([^#\n]*)")
# The processors `_plain_html` stands for; with others registered it stands aside.
_PROCESSORS = {
    "preprocessors": {"normalize_whitespace", "fenced_code_block", "html_block"},
    "treeprocessors": {"footnote", "footnote-duplicate", "prettify", "attr_list", "abbr",
                       "unescape", "inline"},
    "postprocessors": {"footnote", "amp_substitute", "raw_html"},
    "blockprocessors": {"markdown_block", "empty", "indent", "defindent", "code", "table",
                        "hashheader", "setextheader", "hr", "olist", "deflist", "quote",
                        "footnote", "abbr", "reference", "paragraph", "ulist"},
}  # fmt: skip


def _stands_for(md: markdown.Markdown) -> bool:
    """Whether `_plain_html` gives what this converter gives (its known processors)."""
    registries = {
        "preprocessors": md.preprocessors,
        "treeprocessors": md.treeprocessors,
        "postprocessors": md.postprocessors,
        "blockprocessors": md.parser.blockprocessors,
    }
    registered = {name: {item.name for item in registry._priority}
                  for name, registry in registries.items()}  # fmt: skip
    return (
        registered == _PROCESSORS
        and isinstance(md.treeprocessors["inline"], _PlainTextInline)
        and md.output_format == "html"
    )


def _plain_html(text: str) -> str | None:
    """Return Markdown's HTML for a body of paragraphs and "#" headings, else None.

    As Markdown does: blocks are split at blank lines, a paragraph's text loses its
    leading white space, a heading's its surrounding white space, and blocks are
    joined by line ends. Nothing needs escaping (no "&", "<" or ">").
    """
    if _MARKUP_CHARS.search(text) or "  \n" in text or _LINE_START.search("\n" + text):
        return None  # (three searches: a third of the time of one with alternatives)
    parts = []
    for block in (text + "\n\n").split("\n\n"):  # as Markdown splits it
        if "#" in block:
            heading = _HEADING.fullmatch(block.lstrip("\n"))
            if heading is None or not heading[2].strip():
                return None
            level = len(heading[1])
            parts.append(f"<h{level}>{heading[2].strip()}</h{level}>")
        elif block.strip():
            parts.append(f"<p>{block.lstrip()}</p>")
    return "\n".join(parts)


class RenderError(Exception):
    """A body that the Markdown converter cannot handle; the message is Chinese."""


class _TimeUp(BaseException):
    """Raised inside the converter when its time is up.

    A BaseException, so that the converter's own ``except Exception`` blocks
    cannot swallow it.
    """


@contextmanager
def _time_limit(seconds: float):
    """Interrupt the block after `seconds` where signals allow it (main thread)."""
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _alarm(signum, frame):
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Renderer:
    """Convert Markdown bodies to sanitized HTML with one reusable converter."""

    def __init__(self, seconds: float = 5.0):
        self.seconds = seconds
        self._md = self._new()
        self._plain = _stands_for(self._md)

    @staticmethod
    def _new() -> markdown.Markdown:
        return markdown.Markdown(
            extensions=[*MARKDOWN_EXTENSIONS, _PlainTextExtension()], output_format="html"
        )

    def to_html(self, text: str) -> str:
        """Return the body as sanitized HTML; raise RenderError when it cannot."""
        html = _plain_html(text) if self._plain else None
        if html is None:
            html = self._convert(text)
        return scrollable_tables(sanitize(html))

    def _convert(self, text: str) -> str:
        """Markdown's HTML for the body, within its time and nesting limits."""
        try:
            with _time_limit(self.seconds):
                html = self._md.reset().convert(text)
        except _TimeUp:
            self._md = self._new()  # its state is unknown after an interruption
            raise RenderError(
                f"正文排版解析超过 {self.seconds:g} 秒仍未完成，"
                "通常是正文里有大量未配对的方括号“[”、星号“*”或反引号“`”。"
            ) from None
        except RecursionError:
            self._md = self._new()
            raise RenderError("正文的列表或引用嵌套层数太多，排版程序无法处理。") from None
        except Exception as error:  # a converter bug must not hide the other files
            self._md = self._new()
            raise RenderError(f"正文排版出错（{type(error).__name__}）。") from error
        depth = nesting_depth(html)
        if depth > MAX_NESTING:
            raise RenderError(
                f"正文中的网页标签嵌套了 {depth} 层（上限 {MAX_NESTING} 层），"
                "通常是从网页粘贴时带进了大量未闭合的标签。"
            )
        return html


_TABLE_OPEN = re.compile(r"<table\b[^>]*>")


def scrollable_tables(html: str) -> str:
    """Wrap each table in a region that scrolls sideways and takes keyboard focus.

    A wide table then never widens the page on a phone, and keyboard users can
    scroll it (WCAG: scrollable regions must be focusable).
    """
    if "<table" not in html:
        return html
    wrapped = _TABLE_OPEN.sub(
        lambda m: (
            f'<div class="table-scroll" role="region" tabindex="0" aria-label="表格">{m.group(0)}'
        ),
        html,
    )
    return wrapped.replace("</table>", "</table></div>")


# Deeper nesting makes sanitizing quadratic (100,000 <div> take minutes); no news
# item needs more than a few levels.
MAX_NESTING = 100
_VOID = {"br", "hr", "img", "input", "meta", "link", "col", "area", "base", "wbr", "source"}
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")


def nesting_depth(html: str) -> int:
    """Return how deep elements nest in HTML (unclosed ones count as open)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG_TOKEN.findall(html):
        if name.lower() in _VOID or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def sanitize(html: str) -> str:
    """Keep text structure, tables, images and links; drop everything executable."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


def find_dangerous(text: str) -> list[tuple[int, str]]:
    """Return (offset, what) for each piece of markup sanitizing will remove."""
    if "<" not in text and "script" not in text.lower():
        return []  # the common case: plain Markdown, nothing to scan
    found = []
    for match in _DANGEROUS.finditer(text):
        if match["tag"]:
            what = f"<{match['tag'].lower()}> 标签"
        elif match["handler"]:
            what = f"事件属性 {match['handler'].lower()}"
        else:
            what = f"“{match['scheme'].lower()}”链接"
        found.append((match.start(), what))
    return found


_TAG = re.compile(r"<[^>]*>")


def plain_text(html_or_text: str) -> str:
    """Strip every tag and entity, and fold white space.

    The result is text, to be escaped wherever it is shown.
    """
    return " ".join(unescape(_TAG.sub(" ", html_or_text)).split())


class _ParagraphText(HTMLParser):
    """Collect the text of paragraphs and list items.

    Tables, figures, code, headings and footnote marks are skipped.
    """

    SKIP = {"table", "figure", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "sup"}
    KEEP = {"p", "li", "dd"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.keeping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.KEEP:
            self.keeping += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.KEEP:
            self.keeping = max(0, self.keeping - 1)
            self.parts.append(" ")

    def handle_data(self, data):
        if self.keeping and not self.skipping:
            self.parts.append(data)


_SENTENCE_END = "。！？!?"


def _join(parts: list[str]) -> str:
    # Fold white space; between two CJK characters a line break means nothing.
    text = " ".join("".join(parts).split())
    return re.sub(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])", "", text)


_IMG = re.compile(r"<img\b[^>]*>")
_ATTR = re.compile(r'(src|alt)="([^"]*)"')


def lead_image(html: str) -> dict[str, str] | None:
    """Return the first image of sanitized HTML as {"src", "alt"}, or None."""
    match = _IMG.search(html)
    if not match:
        return None
    attrs = {key: unescape(value) for key, value in _ATTR.findall(match.group(0))}
    return {"src": attrs["src"], "alt": attrs.get("alt", "")} if attrs.get("src") else None


def summarize(html: str, limit: int) -> str:
    """Return at most `limit` characters of the body's paragraph text.

    The cut falls at a sentence end (。！？) when one is near; "" means the body
    has no paragraph text at all. Only as much of the body is parsed as the summary
    needs.
    """
    parser = _ParagraphText()
    step = max(1024, 4 * limit)
    for start in range(0, len(html), step):
        parser.feed(html[start : start + step])
        text = _join(parser.parts)
        if len(text) > limit:
            # What the rest of the body adds comes after this text (folding white
            # space keeps what is joined so far a prefix): the cut falls in here.
            return truncate(text, limit)
    parser.close()
    return truncate(_join(parser.parts), limit)


def truncate(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters, preferring a sentence end."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    end = max(window.rfind(mark) for mark in _SENTENCE_END)
    if end >= limit // 2:
        return window[: end + 1]
    return window[: limit - 1].rstrip() + "…"
