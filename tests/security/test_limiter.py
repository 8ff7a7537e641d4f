"""The limiters alone: a burst of N, then one request every period / N; Redis shares the count between
processes. The in-memory one runs on a hand-turned clock, so nothing here depends on timing."""

from __future__ import annotations

import uuid

import pytest
import redis

from omnicx.kernel.limits import MemoryLimiter, RedisLimiter, make_limiter, retry_after_seconds
from omnicx.kernel.settings import Rate, parse_rate
from omnicx.kernel.web.limits import address_key
from tests.conftest import REDIS_URL

FIVE_A_MINUTE = Rate(count=5, seconds=60)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_request_per_interval() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock=clock)
    assert [limiter.hit("k", FIVE_A_MINUTE) for _ in range(5)] == [0.0] * 5
    assert limiter.hit("k", FIVE_A_MINUTE) == pytest.approx(12.0)  # one comes back every 60 / 5 s
    assert limiter.hit("other", FIVE_A_MINUTE) == 0.0
    clock.now += 11.9
    assert limiter.hit("k", FIVE_A_MINUTE) == pytest.approx(0.1)
    clock.now += 0.1
    assert limiter.hit("k", FIVE_A_MINUTE) == 0.0
    assert limiter.hit("k", FIVE_A_MINUTE) > 0
    clock.now += 60
    assert [limiter.hit("k", FIVE_A_MINUTE) for _ in range(5)] == [0.0] * 5  # a full bucket again


def test_refused_requests_are_not_counted() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock=clock)
    for _ in range(5):
        limiter.hit("k", FIVE_A_MINUTE)
    for _ in range(100):
        limiter.hit("k", FIVE_A_MINUTE)
    clock.now += 12
    assert limiter.hit("k", FIVE_A_MINUTE) == 0.0


def test_memory_is_bounded_and_forgets_full_buckets_first() -> None:
    clock = Clock()
    limiter = MemoryLimiter(max_keys=3, clock=clock)
    for key in ("a", "b"):
        limiter.hit(key, FIVE_A_MINUTE)
    clock.now += 60  # a and b are full again
    for _ in range(5):
        limiter.hit("busy", FIVE_A_MINUTE)
    for key in ("c", "d", "e"):
        assert limiter.hit(key, FIVE_A_MINUTE) == 0.0
    assert limiter.hit("busy", FIVE_A_MINUTE) > 0  # still limited: only the others were forgotten


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("100/second", Rate(100, 1)),
        ("30/minute", Rate(30, 60)),
        ("5 / 10 minutes", Rate(5, 600)),
        ("1000/hour", Rate(1000, 3600)),
        ("off", None),
    ],
)
def test_rates_are_written_as_count_per_period(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["100", "0/second", "fast", "10/fortnight"])
def test_a_malformed_rate_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


def test_retry_after_is_never_zero() -> None:
    assert [retry_after_seconds(w) for w in (0.01, 1.0, 1.2)] == [1, 1, 2]


def test_ipv6_clients_are_counted_by_their_64_network() -> None:
    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::5") != address_key("2001:db8:1:2::5")
    assert address_key("::ffff:203.0.113.5") == address_key("203.0.113.5") == "203.0.113.5"


@pytest.fixture
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL} (set OMNICX_TEST_REDIS_URL): {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.mark.redis
def test_redis_shares_one_count_between_processes(redis_url: str) -> None:
    prefix = f"omnicx:test:{uuid.uuid4().hex}:"
    first, second = RedisLimiter(redis_url, prefix=prefix), RedisLimiter(redis_url, prefix=prefix)
    try:
        assert [first.hit("k", FIVE_A_MINUTE) for _ in range(3)] == [0.0] * 3
        assert [second.hit("k", FIVE_A_MINUTE) for _ in range(2)] == [0.0] * 2
        waited = first.hit("k", FIVE_A_MINUTE)
        assert 0 < waited <= 12
        assert second.hit("other", FIVE_A_MINUTE) == 0.0
        ttl = redis.Redis.from_url(redis_url).pttl(prefix + "k")
        assert 0 < ttl <= 60_000  # forgotten once the bucket is full again
    finally:
        first.close()
        second.close()


@pytest.mark.redis
def test_the_redis_limiter_is_chosen_when_redis_is_configured(redis_url: str) -> None:
    assert isinstance(make_limiter(None), MemoryLimiter)
    limiter = make_limiter(redis_url)
    try:
        assert isinstance(limiter, RedisLimiter)
    finally:
        limiter.close()


def test_an_unreachable_redis_lets_requests_through() -> None:
    limiter = RedisLimiter("redis://127.0.0.1:1/0")
    try:
        assert limiter.hit("k", Rate(1, 60)) == 0.0
        assert limiter.hit("k", Rate(1, 60)) == 0.0
    finally:
        limiter.close()
