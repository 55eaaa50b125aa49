"""Ingesting news: feeds, pages, text and JSON lines; hostile and broken input is refused or skipped."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from critmin.events import ingest as ing
from critmin.events.ingest import IngestError, Skipped, read_source
from critmin.store import Store

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Metals wire</title>
<item><title>China adds licences for dysprosium</title><link>https://news.example.org/a1</link>
<pubDate>Thu, 09 Oct 2025 08:00:00 GMT</pubDate>
<description>&lt;p&gt;Beijing said on Thursday exporters of dysprosium need a licence.&lt;/p&gt;&lt;script&gt;steal()&lt;/script&gt;</description></item>
<item><title>Empty</title><link>https://news.example.org/a2</link><description></description></item>
</channel></rss>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><item><title>&lol3;</title><description>x</description></item></channel></rss>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title><description>x</description></item></channel></rss>"""

PAGE = b"""<!doctype html><html><head><title>T</title>
<meta property="article:published_time" content="2025-10-09"></head><body>
<script>document.write("Indonesia bans nickel ore exports")</script><nav>Home | World</nav>
<article><h1>China curbs heavy rare earths</h1>
<p>Beijing announced on Thursday export licences for dysprosium and terbium, the commerce ministry said.</p>
<p>The measure takes effect on December 1 and applies to all destinations, officials said on Thursday.</p>
</article></body></html>"""


def _items(source: str, **kw) -> list:
    return list(read_source(source, **kw))


def test_rss_feed_entries_become_articles_without_markup(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS, encoding="utf-8")
    items = _items(str(feed))
    art = items[0]
    assert isinstance(art, ing.Article) and art.url == "https://news.example.org/a1"
    assert art.published == "2025-10-09" and "licence" in art.text and "steal" not in art.text
    assert isinstance(items[1], Skipped) and items[1].reason == "no text"


@pytest.mark.parametrize(("doc", "why"), [(BILLION_LAUGHS, "EntitiesForbidden"), (XXE, "EntitiesForbidden")])
def test_xml_bombs_and_external_entities_are_refused(tmp_path: Path, doc: str, why: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(doc, encoding="utf-8")
    with pytest.raises(IngestError, match="refused XML"):
        _items(str(path))


def test_malformed_xml_with_a_doctype_is_refused_and_broken_feeds_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><rss><channel><item>', encoding="utf-8"
    )
    with pytest.raises(IngestError, match="refused"):
        _items(str(path))
    path.write_text('<?xml version="1.0"?><rss><chan', encoding="utf-8")
    with pytest.raises(IngestError, match="no feed entries"):
        _items(str(path))


def test_html_page_keeps_the_article_and_drops_scripts(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(PAGE)
    (art,) = _items(str(page))
    assert "dysprosium" in art.text and "Indonesia" not in art.text and art.published == "2025-10-09"


def test_plain_text_wrong_encoding_and_binary(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_bytes(b"Zimbabwe bans lithium ore exports\nHarare said the ban starts at once.")
    (art,) = _items(str(text))
    assert art.title == "Zimbabwe bans lithium ore exports" and art.url is None
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Le ministère a annoncé".encode("latin-1"))
    with pytest.raises(IngestError, match=r"not valid utf-8 \(byte 0xe8 at offset 9\)"):
        _items(str(latin))
    (art,) = _items(str(latin), encoding="latin-1")
    assert "ministère" in art.text
    pdf = tmp_path / "x.txt"
    pdf.write_bytes(b"%PDF-1.7\n\x00\x01binary")
    with pytest.raises(IngestError, match="a PDF file"):
        _items(str(pdf))
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"abc\x00\x00\xff" * 100)
    with pytest.raises(IngestError, match="NUL bytes"):
        _items(str(blob))


def test_jsonl_skips_bad_lines_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = [
        json.dumps(
            {
                "title": "t",
                "text": "Indonesia bans bauxite exports.",
                "url": "https://x.org/1",
                "published": "2023-06-10T08:00:00Z",
            }
        ),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"text": "x", "url": "javascript:alert(1)"}),
        json.dumps([1, 2]),
        "",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = _items(str(path))
    assert isinstance(items[0], ing.Article) and items[0].published == "2023-06-10"
    reasons = [i.reason for i in items[1:]]
    assert reasons[0].startswith("not JSON") and "text" in reasons[1] and "http(s)" in reasons[2]
    assert len(items) == 5 and all(isinstance(i, Skipped) and "line" in i.origin for i in items[1:])


def test_100_mb_inputs_are_capped_or_streamed_in_bounded_memory(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as fh:
        fh.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    start = time.monotonic()
    with pytest.raises(IngestError, match="more than the cap"):
        _items(str(huge))
    assert time.monotonic() - start < 1
    one_line = tmp_path / "huge.jsonl"
    with one_line.open("wb") as fh:
        fh.write(b'{"text": "')
        chunk = b"a" * (1024 * 1024)
        for _ in range(100):
            fh.write(chunk)
        fh.write(b'"}\n' + json.dumps({"text": "Myanmar halts rare earth exports."}).encode() + b"\n")
    tracemalloc.start()
    items = _items(str(one_line))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(items[0], Skipped) and "cap" in items[0].reason
    assert isinstance(items[1], ing.Article)
    assert peak < 20 * 1024 * 1024


def test_remote_sources_are_fetched_only_by_url_with_the_fetch_rules(local_server, tmp_path: Path) -> None:
    local_server.body("/feed", RSS.encode(), "application/rss+xml")
    local_server.body("/page", PAGE, "text/html; charset=utf-8")
    assert _items(local_server.url("/feed"), allow_loopback=True)[0].url == "https://news.example.org/a1"
    (page,) = _items(local_server.url("/page"), allow_loopback=True)
    assert page.url == local_server.url("/page") and "terbium" in page.text
    with pytest.raises(IngestError, match="loopback"):
        _items(local_server.url("/feed"))
    with pytest.raises(IngestError, match="only http and https"):
        _items("file:///etc/passwd")


def test_follow_links_reads_the_linked_pages(local_server) -> None:
    local_server.body("/page", PAGE, "text/html")
    feed = RSS.replace("https://news.example.org/a1", local_server.url("/page"))
    local_server.body("/feed", feed.encode(), "application/rss+xml")
    items = _items(local_server.url("/feed"), allow_loopback=True, follow_links=True)
    assert "terbium" in items[0].text and items[0].published == "2025-10-09"


def test_ingest_stores_each_article_once_and_logs_the_import(store: Store, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS, encoding="utf-8")
    text = tmp_path / "a.txt"
    text.write_text("Zimbabwe bans lithium ore exports.", encoding="utf-8")
    bad = tmp_path / "bad.xml"
    bad.write_text(BILLION_LAUGHS, encoding="utf-8")
    first = ing.ingest([str(feed), str(text), str(bad)], store=store)
    assert len(first.added) == 2 and first.sources_failed == 1
    assert any(s.origin == str(bad) and "refused XML" in s.reason for s in first.skipped)
    again = ing.ingest([str(feed), str(text)], store=store)
    assert again.added == [] and sorted(again.duplicates) == sorted(first.added)
    copy = tmp_path / "copy.txt"
    copy.write_text("Zimbabwe   bans lithium ore exports.\n", encoding="utf-8")
    assert ing.ingest([str(copy)], store=store).added == []
    assert store.query("select count(*) n from news_articles")["n"][0] == 2
    log = store.imports()
    assert (log["table_name"] == "news_articles").sum() == 1
    assert store.is_current()
    assert next(a.title for a in ing.articles(first.added, store=store)).startswith("China adds")


def test_a_failed_ingest_writes_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = tmp_path / "a.txt"
    text.write_text("Vietnam bans rare earth ore exports.", encoding="utf-8")

    def boom(*args, **kwargs) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ing.newsdb, "log_import", boom)
    with pytest.raises(RuntimeError):
        ing.ingest([str(text)], store=store)
    from critmin.events import newsdb

    assert newsdb.read(store, "news_articles").empty
