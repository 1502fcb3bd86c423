"""The connection-settings model: URLs parsed as redis-py parses them, loopback as the
`ipaddress` module defines it, passwords never shown."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redislint.semantics.connections import (
    UNKNOWN,
    is_loopback_host,
    mask_url,
    parse_redis_url,
)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", True),
        ("10.0.0.1", False),
        ("128.0.0.1", False),
        ("2001:db8::1", False),
        ("redis", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_redis_py_agrees_on_what_the_url_holds() -> None:
    from redis.connection import parse_url

    for url in [
        "redis://user:pw@cache.internal:6380/2",
        "rediss://:pw@10.0.0.1",
        "redis://10.0.0.1/0?socket_timeout=5&password=pw",
        "unix:///run/redis.sock?db=1",
        "redis://[::1]:6379/0",
        "redis://",
    ]:
        parsed = parse_redis_url(url)
        assert parsed is not None
        expected = parse_url(url)
        if "path" in expected:
            assert parsed.endpoint.unix_path == expected["path"]
        else:
            assert parsed.endpoint.host == expected.get("host", "localhost")
            assert parsed.endpoint.port == expected.get("port", 6379)
        assert parsed.has_password == bool(expected.get("password"))
        assert parsed.socket_timeout == ("socket_timeout" in expected)
        assert parsed.tls == ("SSL" in str(expected.get("connection_class", "")))


@pytest.mark.parametrize(
    "url", ["postgres://u:p@db/x", "https://u:p@api.example.com", "memcache://10.0.0.1", "x"]
)
def test_other_urls_are_not_redis_urls(url: str) -> None:
    assert parse_redis_url(url) is None


def test_computed_parts() -> None:
    password_only = parse_redis_url(f"redis://:{UNKNOWN}@cache.internal:6379/0")
    assert password_only is not None
    assert password_only.endpoint.host == "cache.internal"
    assert password_only.has_credentials is True and password_only.has_password is False
    assert password_only.tls is False
    host = parse_redis_url(f"redis://{UNKNOWN}:6379/0")
    assert host is not None
    assert host.endpoint.host is None and host.has_credentials is None and host.tls is None


@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1),
    st.sampled_from(["redis", "rediss", "unix"]),
)
def test_the_password_is_never_shown(password: str, scheme: str) -> None:
    secret = quote(password, safe="")
    userinfo = mask_url(f"{scheme}://app:{secret}@host:6379/0")
    assert urlsplit(userinfo).password == "***"
    assert urlsplit(userinfo).username == "app"
    query = mask_url(f"{scheme}://host/0?db=1&password={secret}")
    assert parse_qs(urlsplit(query).query) == {"db": ["1"], "password": ["***"]}
    for url in (userinfo, query):
        parsed = parse_redis_url(url)  # never raises on odd input
        assert parsed is not None and parsed.has_password
