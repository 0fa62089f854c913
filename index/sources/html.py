"""The article inside a notes web page, as Markdown, and what the page says about itself.

trafilatura finds the article and writes it as Markdown (headings, lists, links); this module
only turns embedded recordings (YouTube iframes, which trafilatura drops) into `Video:` lines
first, and reads the metadata: title, author, date, canonical URL, language, site name."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
import trafilatura

from ..notes.markdown import link_kind
from .fetch import SourceError

EMBED_RE = re.compile(r"(?:youtube(?:-nocookie)?\.com/embed/|youtu\.be/)([\w-]{11})")
MIN_ARTICLE_CHARS = 200
LEVELS = {"A", "B", "I", "N", "All"}


@dataclass(frozen=True)
class Article:
    markdown: str
    title: str
    author: str
    date: str        # YYYY-MM-DD, or ""
    url: str         # the page's canonical address, or ""
    language: str    # ISO 639-1, or ""
    sitename: str


def _videos_as_links(tree: lxml.html.HtmlElement) -> None:
    """Each embedded YouTube player becomes a paragraph `Video: <link>` in its place."""
    for frame in tree.iter("iframe"):
        found = EMBED_RE.search(frame.get("src") or "")
        if not found:
            continue
        url = f"https://www.youtube.com/watch?v={found.group(1)}"
        para = lxml.html.fromstring(f'<p>Video: <a href="{url}">{url}</a></p>')
        para.tail = frame.tail
        frame.getparent().replace(frame, para)


def _link_only_paragraphs(tree: lxml.html.HtmlElement) -> None:
    """A paragraph that is nothing but a link to a talk's recording (`🌳 <a>Title - Speaker</a>`)
    is one trafilatura drops as navigation (its text is all link). It is written as the
    emphasised title followed by a short link, `🌳 *Title - Speaker* (recording)`, which keeps
    the author's words and reads as a talk named with its recording."""
    for para in tree.iter("p", "li"):
        links = para.findall(".//a")
        if len(links) != 1 or len(para) != 1 or links[0].getparent() is not para:
            continue
        link, text = links[0], links[0].text_content().strip()
        href = link.get("href") or ""
        rest = (para.text or "") + (link.tail or "")
        if not text or link_kind(href) != "video" or re.search(r"\w", rest):
            continue
        new = lxml.html.fromstring(f"<{para.tag}><em></em> (<a>recording</a>)</{para.tag}>")
        new.text = (para.text or "")
        new[0].text = text
        new[1].set("href", href)
        new.tail = para.tail
        para.getparent().replace(para, new)


def _paragraph_wrappers(tree: lxml.html.HtmlElement) -> None:
    """A `<div>` that only wraps one `<p>` (Asciidoctor writes every paragraph as
    `<div class="paragraph"><p>…</p></div>`) is replaced by its paragraph. trafilatura judges
    link density per block, and for the last `<div>` of a section it counts text under 300
    characters with two short links (`presented`, `Jenkins X`) as a link list and drops the
    author's sentence; as a `<p>` the same text is prose."""
    for div in list(tree.iter("div")):
        children = list(div)
        if len(children) != 1 or children[0].tag != "p" or (div.text or "").strip() \
                or (children[0].tail or "").strip() or div.getparent() is None:
            continue
        para = children[0]
        para.tail = div.tail
        div.getparent().replace(div, para)


def _level_markers(tree: lxml.html.HtmlElement) -> None:
    """A heading's `<span>B</span>` is the author's `[B]` skill-level marker as Nuxt's Markdown
    renders it; it is written back as `[B]` so the title reads as the author wrote it."""
    for span in tree.xpath("//h1//span|//h2//span|//h3//span|//h4//span|//h5//span|//h6//span"):
        if len(span) == 0 and (span.text or "").strip() in LEVELS:
            span.text = f"[{span.text.strip()}]"
            span.drop_tag()


def _head_value(tree: lxml.html.HtmlElement, xpath: str) -> str:
    found = tree.xpath(xpath)
    return str(found[0]).strip() if found else ""


def _language(tree: lxml.html.HtmlElement) -> str:
    lang = (tree.get("lang") or _head_value(tree, "//meta[@property='og:locale']/@content")
            or _head_value(tree, "//meta[@http-equiv='content-language']/@content"))
    code = re.split(r"[-_]", lang.strip().lower())[0] if lang else ""
    return code if re.fullmatch(r"[a-z]{2}", code) else ""


def _canonical(tree: lxml.html.HtmlElement, found: str) -> str:
    for value in (_head_value(tree, "//link[@rel='canonical']/@href"),
                  _head_value(tree, "//meta[@property='og:url']/@content"), found or ""):
        if value.startswith(("http://", "https://")):
            return value
    return ""


def extract_article(html: str, name: str = "the page") -> Article:
    """The article of an HTML page; SourceError when the page holds no article text."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        raise SourceError(f"{name}: not an HTML page") from None
    _videos_as_links(tree)
    _link_only_paragraphs(tree)
    _paragraph_wrappers(tree)
    _level_markers(tree)
    prepared = lxml.html.tostring(tree, encoding="unicode")
    markdown = trafilatura.extract(prepared, output_format="markdown", include_links=True,
                                   favor_recall=True, include_images=False,
                                   include_tables=True) or ""
    if len(re.sub(r"\s+", " ", markdown).strip()) < MIN_ARTICLE_CHARS:
        raise SourceError(f"{name}: no article text found in the page; save the notes as "
                          "Markdown and import that file instead")
    meta = trafilatura.extract_metadata(prepared)
    title = (meta.title if meta else "") or _head_value(tree, "//title/text()")
    author = (meta.author if meta else "") or _head_value(tree, "//meta[@name='author']/@content")
    return Article(
        markdown=markdown.strip() + "\n", title=(title or "").strip(),
        author=(author or "").replace(";", ",").strip(), date=(meta.date if meta else "") or "",
        url=_canonical(tree, meta.url if meta else ""), language=_language(tree),
        sitename=((meta.sitename if meta else "") or "").strip())
