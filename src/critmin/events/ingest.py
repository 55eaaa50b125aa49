"""Reading news into the store: RSS/Atom feeds, HTML pages, plain text and JSON-lines files of articles.

A source is a local file or an http(s) URL the user passed (fetched by :mod:`critmin.events.fetch`; nothing
else is fetched unless ``follow_links`` asks for the pages a feed links to). Its kind is sniffed from its
bytes (or given). Feeds go through defusedxml first, which refuses entity declarations (billion laughs, XML
bombs) and external references, then feedparser reads the checked bytes. HTML pages go through trafilatura,
which keeps the article text and drops scripts and navigation. Plain text must be UTF-8 unless an encoding
is given or declared. JSON-lines files are streamed line by line, so their size is not capped, only each
line's; every other source is capped at ``max_bytes`` before it is read.

A source that cannot be read at all, or an item in it that is unusable (binary, wrong encoding, no text,
too long, not JSON), is reported as :class:`Skipped` with its reason; the rest goes on. Articles are stored
in ``news_articles`` once: an article whose URL or text (SHA-256 of the normalised text) is already stored
is not stored again. One ingest is one transaction.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from critmin.events import newsdb
from critmin.events.fetch import MAX_BYTES, TIMEOUT_S, FetchError, fetch
from critmin.events.newsfile import bounded_lines
from critmin.store import Store

Kind = Literal["feed", "html", "text", "jsonl"]
KINDS: tuple[str, ...] = ("feed", "html", "text", "jsonl")
MAX_TEXT_CHARS = 300_000  # one article; a longer "article" is not news but a dump
MAX_LINE_BYTES = 2 * 1024 * 1024  # one JSON-lines record
BATCH = 500  # articles written per insert

_MAGIC = {
    b"%PDF": "a PDF file",
    b"PK\x03\x04": "a ZIP archive (or Office document)",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "an executable",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IngestError(ValueError):
    """A source cannot be read (the message names it and why)."""


@dataclass(frozen=True)
class Article:
    """One article as read: text is plain (no markup), ``published`` is ``YYYY-MM-DD`` or None."""

    url: str | None
    title: str
    text: str
    published: str | None
    origin: str

    @property
    def content_hash(self) -> str:
        """SHA-256 of the text with whitespace collapsed (the same story re-served is the same article)."""
        return hashlib.sha256(" ".join(self.text.split()).encode("utf-8")).hexdigest()

    @property
    def article_id(self) -> str:
        """A stable id: from the URL if there is one, else from the text."""
        key = f"url:{self.url}" if self.url else f"text:{self.content_hash}"
        return "A" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:15].upper()


@dataclass(frozen=True)
class Skipped:
    """A source or an item that was not ingested, and why."""

    origin: str
    reason: str


@dataclass
class IngestResult:
    """What one ingest did: ids of articles stored now, of those already stored, and what was skipped."""

    added: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    sources_failed: int = 0

    @property
    def article_ids(self) -> list[str]:
        """Every article read (new or already stored), in order."""
        return [*self.added, *self.duplicates]


def clean_text(text: str) -> str:
    """NFC text without control characters (tabs and newlines kept), trimmed."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def binary_kind(data: bytes) -> str | None:
    """What a binary input is (``"a PDF file"``, ...), or None if it looks like text."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return what
    head = data[:8192]
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "a binary file (it contains NUL bytes)"
    return None


def decode(data: bytes, encoding: str | None, origin: str) -> str:
    """Bytes as text: a BOM wins, then ``encoding`` (given or declared), else strict UTF-8."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            encoding = name
            break
    name = encoding or "utf-8"
    try:
        return data.decode(name)
    except LookupError:
        raise IngestError(f"{origin}: unknown encoding {name!r}") from None
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise IngestError(
            f"{origin}: not valid {name} (byte 0x{bad} at offset {exc.start}); give its encoding with --encoding"
        ) from None


def sniff(data: bytes, name: str = "", content_type: str = "") -> Kind:
    """The kind of a source from its content type, name and first bytes."""
    ctype = content_type.lower()
    if any(t in ctype for t in ("rss", "atom", "/xml", "+xml")):
        return "feed"
    if "html" in ctype:
        return "html"
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson", ".jsonlines")):
        return "jsonl"
    head = data[:2048].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<rdf")):
        return "html" if b"<html" in head else "feed"
    if head.startswith((b"<!doctype html", b"<html")) or lower.endswith((".html", ".htm")):
        return "html"
    if head.startswith(b"{") and lower.endswith(".json"):
        return "jsonl"
    return "text"


def iso_day(value: Any) -> str | None:
    """``YYYY-MM-DD`` of a date, datetime, struct_time or ISO-like text; None if it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "tm_year"):
        return f"{value.tm_year:04d}-{value.tm_mon:02d}-{value.tm_mday:02d}"
    from dateutil import parser

    try:
        return parser.parse(str(value)).date().isoformat()
    except (ValueError, OverflowError):
        return None


def _http_url(value: Any) -> str | None:
    text = str(value or "").strip()
    return text if re.match(r"^https?://\S+$", text, re.IGNORECASE) else None


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed entry's summary), scripts and styles dropped."""
    if "<" not in fragment:
        return clean_text(fragment)
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(re.sub(r"<[^>]*>", " ", fragment))
    for bad in root.xpath("//script|//style|//noscript|//template|//iframe|//object"):
        bad.drop_tree()
    for block in root.xpath("//p|//br|//div|//li|//h1|//h2|//h3|//h4"):
        block.tail = "\n" + (block.tail or "")
    return clean_text(re.sub(r"[ \t]+", " ", root.text_content()))


def _article(url: str | None, title: str, text: str, published: Any, origin: str) -> Article | Skipped:
    body = clean_text(text)
    where = url or origin
    if not body:
        return Skipped(where, "no text")
    if len(body) > MAX_TEXT_CHARS:
        return Skipped(where, f"text of {len(body):,} characters, more than the cap of {MAX_TEXT_CHARS:,}")
    return Article(url, clean_text(title)[:500], body, iso_day(published), origin)


def check_xml(data: bytes, origin: str) -> None:
    """Refuse XML that declares entities or references external ones (defusedxml), whether or not the rest
    is well formed; an ill-formed feed without a DOCTYPE is left to feedparser's lenient reading."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        fromstring(data)
    except DefusedXmlException as exc:
        raise IngestError(
            f"{origin}: refused XML: {exc} (entity declarations and external references are not read)"
        ) from None
    except ParseError as exc:
        if re.search(rb"<!(DOCTYPE|ENTITY)", data[:65536], re.IGNORECASE):
            raise IngestError(f"{origin}: refused malformed XML with a DOCTYPE ({exc})") from None


def parse_feed(data: bytes, origin: str) -> Iterator[Article | Skipped]:
    """The entries of an RSS/Atom feed (checked with :func:`check_xml` first)."""
    import feedparser

    check_xml(data, origin)
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    if not entries:
        why = parsed.get("bozo_exception")
        raise IngestError(f"{origin}: no feed entries" + (f" ({why})" if why else ""))
    for i, entry in enumerate(entries, 1):
        content = entry.get("content") or []
        raw = content[0].get("value", "") if content else entry.get("summary", "")
        url = _http_url(entry.get("link"))
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        item = _article(url, entry.get("title", ""), html_to_text(raw or ""), published, origin)
        yield Skipped(f"{origin} entry {i}", item.reason) if isinstance(item, Skipped) else item


def parse_html(data: bytes, origin: str, url: str | None) -> Article | Skipped:
    """The article of an HTML page (trafilatura), with its title and date where the page gives them."""
    import trafilatura

    doc = trafilatura.bare_extraction(data, url=url, with_metadata=True, include_comments=False)
    found = doc if isinstance(doc, dict) else doc.as_dict() if doc is not None else {}
    if not found.get("text"):
        return Skipped(url or origin, "no article text found in the page")
    return _article(url, str(found.get("title") or ""), str(found["text"]), found.get("date"), origin)


def parse_text(text: str, origin: str, url: str | None = None) -> Article | Skipped:
    """A plain-text article: the first line is its title."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return _article(url, first[:200], text, None, origin)


def parse_jsonl(stream: io.BufferedIOBase, origin: str, encoding: str | None) -> Iterator[Article | Skipped]:
    """Records ``{"title", "text", "url", "published"}``, one per line, streamed; bad lines are skipped."""
    for number, (_, line) in enumerate(bounded_lines(stream, MAX_LINE_BYTES), start=1):
        where = f"{origin} line {number}"
        if line is None:
            yield Skipped(where, f"line longer than the cap of {MAX_LINE_BYTES:,} bytes")
            continue
        if not line.strip():
            continue
        kind = binary_kind(line)
        if kind:
            yield Skipped(where, f"{kind}, not a JSON line")
            continue
        try:
            record = json.loads(decode(line, encoding, where))
        except IngestError as exc:
            yield Skipped(where, str(exc).split(": ", 1)[1])
            continue
        except json.JSONDecodeError as exc:
            yield Skipped(where, f"not JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield Skipped(where, 'not an object with a "text" string')
            continue
        url = _http_url(record.get("url"))
        if record.get("url") and url is None:
            yield Skipped(where, f"url {str(record.get('url'))[:80]!r} is not an http(s) URL")
            continue
        item = _article(url, str(record.get("title") or ""), record["text"], record.get("published"), origin)
        yield Skipped(where, item.reason) if isinstance(item, Skipped) else item


def read_bytes(data: bytes, origin: str, *, kind: Kind | None = None, url: str | None = None,
               content_type: str = "", encoding: str | None = None) -> Iterator[Article | Skipped]:  # fmt: skip
    """The articles of one source held in memory (already capped)."""
    what = binary_kind(data)
    if what:
        raise IngestError(f"{origin}: {what}, not an article, feed or JSON-lines file")
    chosen = kind or sniff(data, origin, content_type)
    if chosen == "feed":
        yield from parse_feed(data, origin)
    elif chosen == "html":
        yield parse_html(data, origin, url)
    elif chosen == "jsonl":
        yield from parse_jsonl(io.BytesIO(data), origin, encoding)
    else:
        yield parse_text(decode(data, encoding, origin), origin, url)


def read_source(
    source: str,
    *,
    kind: Kind | None = None,
    allow_loopback: bool = False,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT_S,
    encoding: str | None = None,
    follow_links: bool = False,
) -> Iterator[Article | Skipped]:
    """The articles of a local file or an http(s) URL; raises :class:`IngestError` if it cannot be read.

    ``follow_links``: for a feed, fetch each entry's page (same rules) and read its article instead of the
    entry's summary.
    """
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE) or source.lower().startswith(
        ("javascript:", "data:")
    ):
        try:
            got = fetch(source, allow_loopback=allow_loopback, timeout=timeout, max_bytes=max_bytes)
        except FetchError as exc:
            raise IngestError(str(exc)) from None
        items = read_bytes(got.body, source, kind=kind, url=got.final_url, content_type=got.content_type,
                           encoding=encoding or got.charset)  # fmt: skip
        chosen = kind or sniff(got.body, source, got.content_type)
    else:
        path = Path(source)
        if not path.is_file():
            raise IngestError(f"{source}: no such file" if not path.exists() else f"{source}: not a file")
        with path.open("rb") as fh:
            head = fh.read(8192)
            chosen = kind or sniff(head, path.name)
            if chosen == "jsonl":
                fh.seek(0)
                yield from parse_jsonl(fh, source, encoding)
                return
            size = path.stat().st_size
            if size > max_bytes:
                raise IngestError(
                    f"{source}: {size:,} bytes, more than the cap of {max_bytes:,} (--max-bytes raises it)"
                )
            data = head + fh.read(max_bytes + 1 - len(head))
        items = read_bytes(data, source, kind=chosen, encoding=encoding)
    if not (follow_links and chosen == "feed"):
        yield from items
        return
    for item in items:
        if isinstance(item, Article) and item.url:
            try:
                page = fetch(item.url, allow_loopback=allow_loopback, timeout=timeout, max_bytes=max_bytes)
                full = parse_html(page.body, source, item.url)
            except FetchError as exc:
                yield Skipped(item.url, f"{exc}; the feed's summary is used")
                full = item
            if isinstance(full, Article):
                item = Article(
                    item.url, item.title or full.title, full.text, item.published or full.published, source
                )
        yield item


def ingest(sources: Iterable[str], store: Store | None = None, **options: Any) -> IngestResult:
    """Read every source and store the new articles in one transaction; see :func:`read_source` for options.

    A source that fails is counted in ``sources_failed`` and listed in ``skipped``; the others go on.
    """
    sources = list(sources)
    result = IngestResult()
    store = store or Store.open()
    with store.connect(read_only=False) as con:
        con.execute("begin transaction")
        try:
            newsdb.ensure_tables(con)
            batch: list[Article] = []
            for source in sources:
                try:
                    for item in read_source(source, **options):
                        if isinstance(item, Skipped):
                            result.skipped.append(item)
                            continue
                        batch.append(item)
                        if len(batch) >= BATCH:
                            _store_batch(con, batch, result)
                            batch = []
                except IngestError as exc:
                    result.sources_failed += 1
                    result.skipped.append(Skipped(source, str(exc).removeprefix(f"{source}: ")))
            _store_batch(con, batch, result)
            if result.added:
                newsdb.log_import(
                    con, "news_articles", "news ingest " + "; ".join(sources)[:500], len(result.added)
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return result


def _store_batch(con: Any, batch: list[Article], result: IngestResult) -> None:
    if not batch:
        return
    urls = [a.url for a in batch if a.url]
    hashes = [a.content_hash for a in batch]
    known = con.execute(
        "select article_id, url, content_hash from news_articles where url in (select unnest(?)) "
        "or content_hash in (select unnest(?))",
        [urls, hashes],
    ).fetchall()
    by_url = {u: i for i, u, _h in known if u}
    by_hash = {h: i for i, _u, h in known}
    rows = []
    stamp = newsdb.now()
    for art in batch:
        existing = by_url.get(art.url or "") or by_hash.get(art.content_hash)
        if existing:
            if existing not in result.duplicates:
                result.duplicates.append(existing)
            continue
        rows.append([art.article_id, art.url, art.title, art.published, art.text, art.content_hash,
                     art.origin, stamp, art.url or f"file:{Path(art.origin).name}"])  # fmt: skip
        by_hash[art.content_hash] = art.article_id
        if art.url:
            by_url[art.url] = art.article_id
        result.added.append(art.article_id)
    if rows:
        con.executemany("insert into news_articles values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def articles(ids: Iterable[str] | None = None, store: Store | None = None) -> list[Article]:
    """Stored articles (all, or the given ids in that order)."""
    store = store or Store.open()
    frame = newsdb.read(store, "news_articles", "order by ingested_at, article_id").fillna("")
    if ids is not None:
        wanted = list(dict.fromkeys(ids))
        frame = frame.set_index("article_id").reindex(wanted).dropna(subset=["text"]).reset_index().fillna("")
    return [
        Article(
            str(r["url"]) or None,
            str(r["title"]),
            str(r["text"]),
            str(r["published"]) or None,
            str(r["origin"]),
        )
        for r in frame.to_dict("records")
    ]
