"""Fetching only what the user asked for, safely: schemes, addresses, redirects, time and size caps."""

from __future__ import annotations

import gzip
import time
from http.server import BaseHTTPRequestHandler

import pytest

from critmin.events.fetch import FetchError, check_url, fetch, post_json, resolve_host


def test_fetches_a_local_page_only_with_allow_loopback(local_server) -> None:
    local_server.body("/a", "Grüße".encode(), "text/html; charset=utf-8")
    got = fetch(local_server.url("/a"), allow_loopback=True)
    assert got.body == "Grüße".encode() and got.content_type == "text/html" and got.charset == "utf-8"
    with pytest.raises(FetchError, match="loopback"):
        fetch(local_server.url("/a"))


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)", "gopher://x", "/etc/passwd"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        check_url(url)


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("localhost", "loopback"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_non_public_addresses_are_refused_also_after_dns(host: str, why: str) -> None:
    with pytest.raises(FetchError, match=why):
        resolve_host(host, 80, allow_loopback=False)


def test_loopback_flag_admits_loopback_but_not_private() -> None:
    assert str(resolve_host("127.0.0.1", 80, allow_loopback=True)) == "127.0.0.1"
    with pytest.raises(FetchError, match="private"):
        resolve_host("10.0.0.8", 80, allow_loopback=True)


def test_each_redirect_hop_is_checked(local_server) -> None:
    local_server.body("/end", b"ok")
    local_server.redirect("/r1", "/end")
    assert fetch(local_server.url("/r1"), allow_loopback=True).final_url == local_server.url("/end")
    local_server.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    with pytest.raises(FetchError, match="link-local"):
        fetch(local_server.url("/to-metadata"), allow_loopback=True)
    local_server.redirect("/to-file", "file:///etc/passwd")
    with pytest.raises(FetchError, match="only http and https"):
        fetch(local_server.url("/to-file"), allow_loopback=True)
    local_server.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="redirects"):
        fetch(local_server.url("/loop"), allow_loopback=True)


def test_a_server_that_never_answers_times_out(local_server) -> None:
    def hang(h: BaseHTTPRequestHandler) -> None:
        local_server.release.wait(10)

    local_server.routes["/hang"] = hang
    start = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetch(local_server.url("/hang"), allow_loopback=True, timeout=0.5)
    assert time.monotonic() - start < 3


def test_a_trickling_server_hits_the_total_deadline(local_server) -> None:
    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.end_headers()
        for _ in range(100):
            if local_server.release.wait(0.1):
                return
            h.wfile.write(b"x")
            h.wfile.flush()

    local_server.routes["/slow"] = trickle
    start = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetch(local_server.url("/slow"), allow_loopback=True, timeout=0.6)
    assert time.monotonic() - start < 3


def test_size_is_capped_declared_or_not(local_server) -> None:
    local_server.body("/big", b"x" * 300_000)
    with pytest.raises(FetchError, match="cap"):
        fetch(local_server.url("/big"), allow_loopback=True, max_bytes=100_000)

    def undeclared(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.end_headers()
        for _ in range(50):
            h.wfile.write(b"y" * 10_000)

    local_server.routes["/stream"] = undeclared
    with pytest.raises(FetchError, match="cap"):
        fetch(local_server.url("/stream"), allow_loopback=True, max_bytes=100_000)


def test_a_gzip_bomb_stops_at_the_cap(local_server) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    local_server.body("/bomb", bomb, "text/plain", Content_Encoding="gzip")
    with pytest.raises(FetchError, match="unpacks to more"):
        fetch(local_server.url("/bomb"), allow_loopback=True, max_bytes=1_000_000)
    local_server.body("/small", gzip.compress(b"hello"), "text/plain", Content_Encoding="gzip")
    assert fetch(local_server.url("/small"), allow_loopback=True).body == b"hello"


def test_http_errors_are_named(local_server) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(local_server.url("/missing"), allow_loopback=True)


def test_webhook_posts_json_under_the_same_rules(local_server) -> None:
    local_server.body("/hook", b"")
    assert post_json(local_server.url("/hook"), {"a": "é"}, allow_loopback=True) == 200
    assert local_server.requests[-1][0] == "POST" and local_server.requests[-1][2] == '{"a": "é"}'.encode()
    with pytest.raises(FetchError, match="loopback"):
        post_json(local_server.url("/hook"), {})
