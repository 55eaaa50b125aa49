"""Fetching a URL the user passed, safely: http(s) only, public addresses only, redirects re-checked, bounded.

Nothing in critmin reaches the network except through :func:`fetch` (and :func:`post_json` for a webhook), and
only for a URL the user gave. Every hop of a redirect chain is checked again: the scheme must be ``http`` or
``https``, and every address the host name resolves to must be public (not private, loopback, link-local,
multicast, reserved or unspecified; ``allow_loopback`` admits loopback only, for tests against a local
server). The connection goes to the address that was checked (the host name is kept for the ``Host`` header
and TLS), so a name that resolves differently a moment later cannot slip a private address in. A response
is read in chunks up to ``max_bytes`` and within ``timeout`` seconds in all (not per read), so a server
that never answers or trickles bytes ends with :class:`FetchError`. Proxies from the environment are not
used: they would connect to addresses critmin has not checked.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

TIMEOUT_S = 20.0  # the whole exchange: connect, redirects and body
MAX_BYTES = 10 * 1024 * 1024  # a news page or feed is far smaller
MAX_REDIRECTS = 5
USER_AGENT = "critmin-news/0.1 (+https://github.com/critmin)"
_REDIRECTS = {301, 302, 303, 307, 308}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(ValueError):
    """A URL could not be fetched, or was refused (scheme, address, size, time); the message says which."""


@dataclass(frozen=True)
class Fetched:
    """A fetched response: the URL asked for, the URL answered (after redirects), status, type and body."""

    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes


def _refusal(address: IPAddress, allow_loopback: bool) -> str | None:
    """Why an address may not be connected to, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if allow_loopback else "a loopback address (--allow-loopback admits it)"
    for attr, what in (
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, attr):
            return what
    return None


def check_url(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL; any other scheme or a URL without host raises FetchError."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(
            f"refused {url!r}: only http and https URLs are fetched, not {scheme or 'no scheme'}"
        )
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise FetchError(f"refused {url!r}: {exc}") from None
    if not host:
        raise FetchError(f"refused {url!r}: no host name")
    if parts.username or parts.password:
        raise FetchError(f"refused {url!r}: credentials in a URL are not sent")
    return scheme, host, port or (443 if scheme == "https" else 80)


def resolve_host(host: str, port: int, allow_loopback: bool) -> IPAddress:
    """The first address of ``host``, after checking that every address it resolves to is allowed."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"cannot resolve host {host!r}: {exc}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchError(f"cannot resolve host {host!r}")
    for address in addresses:
        why = _refusal(address, allow_loopback)
        if why is not None:
            raise FetchError(f"refused {host}: it resolves to {address}, {why}")
    return addresses[0]


def _pinned(url: str, address: IPAddress, scheme: str, port: int) -> str:
    """The URL with its host replaced by the checked address."""
    parts = urlsplit(url)
    host = f"[{address}]" if address.version == 6 else str(address)
    default = 443 if scheme == "https" else 80
    netloc = host if port == default else f"{host}:{port}"
    return parts._replace(netloc=netloc).geturl()


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"').lower()
    return None


def fetch(
    url: str,
    *,
    allow_loopback: bool = False,
    timeout: float = TIMEOUT_S,
    max_bytes: int = MAX_BYTES,
    method: str = "GET",
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """Fetch ``url`` following redirects by hand (each hop re-checked); raises :class:`FetchError`.

    A non-2xx final status is an error too.
    """
    deadline = time.monotonic() + timeout
    current = url
    with httpx.Client(trust_env=False, follow_redirects=False, verify=True) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            scheme, host, port = check_url(current)
            address = resolve_host(host, port, allow_loopback)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError(f"timed out after {timeout:g} s fetching {url}")
            default = 443 if scheme == "https" else 80
            request_headers = {
                "User-Agent": USER_AGENT,
                "Accept-Encoding": "gzip, deflate",
                **(headers or {}),
                "Host": host if port == default else f"{host}:{port}",
            }
            request = client.build_request(
                method,
                _pinned(current, address, scheme, port),
                headers=request_headers,
                content=content,
                timeout=httpx.Timeout(remaining),
                extensions={"sni_hostname": host} if scheme == "https" else {},
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {timeout:g} s fetching {current}") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"cannot fetch {current}: {exc}") from None
            try:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"{current} redirects without a Location")
                    current = urljoin(current, location)
                    if response.status_code == 303:
                        method, content = "GET", None
                    continue
                if not 200 <= response.status_code < 300:
                    raise FetchError(f"{current} answered HTTP {response.status_code}")
                body = _read(response, max_bytes, deadline, timeout, current)
            finally:
                response.close()
            ctype = response.headers.get("content-type", "")
            return Fetched(url, current, response.status_code, ctype.split(";")[0].strip().lower(),
                           _charset(ctype), body)  # fmt: skip
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _read(response: httpx.Response, max_bytes: int, deadline: float, timeout: float, url: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{url} is {int(declared):,} bytes, more than the cap of {max_bytes:,}")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"{url} sent more than the cap of {max_bytes:,} bytes; stopped reading")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise FetchError(f"timed out after {timeout:g} s reading {url}")
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {timeout:g} s reading {url}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot read {url}: {exc}") from None
    raw = b"".join(chunks)
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    return _decompress(raw, encoding, max_bytes, url)


def _decompress(raw: bytes, encoding: str, max_bytes: int, url: str) -> bytes:
    """Undo gzip/deflate content encoding without letting a compression bomb exceed ``max_bytes``."""
    import zlib

    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"{url} uses content encoding {encoding!r}, which critmin does not read")
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise FetchError(f"{url}: broken {encoding} body ({exc})") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise FetchError(f"{url} unpacks to more than the cap of {max_bytes:,} bytes; stopped")
    return out


def post_json(url: str, payload: Any, *, allow_loopback: bool = False, timeout: float = TIMEOUT_S) -> int:
    """POST ``payload`` as JSON to a webhook under the same rules as :func:`fetch`; returns the status."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    response = fetch(
        url,
        allow_loopback=allow_loopback,
        timeout=timeout,
        max_bytes=64 * 1024,
        method="POST",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    return response.status
