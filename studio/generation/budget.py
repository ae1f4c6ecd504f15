"""One gateway request budget shared by every worker process, on every machine, kept in Redis.

The gateway limits each API key to `rpm` requests over a rolling 60 s window, and submits, polls
and cancels all count. Each worker asks `acquire()` before every gateway call, so however many
takes are in flight we stay under the limit instead of learning it from a 429.

- The check and the count happen in one Lua script, so concurrent workers never both take the
  last slot. Each request is a member of a sorted set scored by its timestamp.
- Calls are paced by a token bucket that refills at rpm/60 per second and holds `burst_seconds`
  of it. The window alone would let a whole minute's allowance go in the first seconds and
  then refuse everything for the rest of the minute, so waits (and the lag of every take
  polled behind them) would swing; the bucket spreads the same allowance evenly.
- Polls may use only `poll_share` of the window, and must leave `1 - poll_share` of the bucket
  in it, so a flood of polls never starves submits (a take that is never submitted costs the
  user more than a take polled a few seconds late).
- We stay strictly under `rpm` and never use the gateway's 2x burst allowance: it is our margin
  for clock skew between the workers and the gateway, and for network latency.
- The window is measured with the workers' clocks, so the machines must run NTP.

Every method raises `BudgetUnavailable` when Redis cannot answer: the task layer retries later
rather than calling the gateway without a budget.
"""

import math
import secrets
import time
from collections.abc import Callable
from typing import Literal, TypedDict

import redis
from django.conf import settings

WINDOW = 60.0  # seconds; the gateway's rolling window
MIN_WAIT = 0.05  # seconds; so a refused caller never spins on a wait of zero
KEY_TTL_MS = int((WINDOW + 1) * 1000)  # nothing lingers once the workers go quiet
BURST_SECONDS = 2.0  # the bucket holds this many seconds of rpm: a click on "Generate all" goes
# at once, while a backlog of polls trickles out at the steady rate

Kind = Literal["submit", "poll", "cancel"]
KINDS: frozenset[str] = frozenset({"submit", "poll", "cancel"})

# KEYS: 1 every counted request, 2 the counted polls, 3 paused-until (a timestamp), 4 the
# bucket (a hash of tokens and when they were counted).
# ARGV: 1 now, 2 cutoff (now - window), 3 window, 4 rpm, 5 poll lane limit (0 when the
# requests are not polls), 6 a unique member prefix, 7 key ttl in ms, 8 the bucket's refill per
# second, 9 its size, 10 the tokens it must hold for one request (more for a poll), 11 how
# many requests are wanted.
# Answers {granted, seconds until one more could go ("0" when all were granted)}.
ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local want = tonumber(ARGV[11])
local granted = want
local wait = 0

local paused_until = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused_until > now then
  granted = 0
  wait = paused_until - now
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])

-- Grant no more than the window holds room for. Full means count >= limit: room for one more
-- comes when the entry at index count - limit leaves, which is the oldest one unless the limit
-- was lowered while entries were counted. Entries granted now leave a whole window from now.
local function fit_window(key, limit)
  local count = redis.call('ZCARD', key)
  granted = math.max(0, math.min(granted, limit - count))
  if granted < want and count + granted >= limit then
    local index = count + granted - limit
    local leaves = now + window
    if index < count then
      leaves = tonumber(redis.call('ZRANGE', key, index, index, 'WITHSCORES')[2]) + window
    end
    wait = math.max(wait, leaves - now)
  end
end

fit_window(KEYS[1], tonumber(ARGV[4]))
local poll_limit = tonumber(ARGV[5])
if poll_limit > 0 then
  fit_window(KEYS[2], poll_limit)
end
local rate = tonumber(ARGV[8])
local size = tonumber(ARGV[9])
local need = tonumber(ARGV[10])
local bucket = redis.call('HMGET', KEYS[4], 'tokens', 'at')
local tokens = size
if bucket[1] then
  tokens = math.min(size, tonumber(bucket[1]) + math.max(0, now - tonumber(bucket[2])) * rate)
end
-- Each request takes one token and must find `need` there: the k-th finds tokens - (k - 1).
granted = math.max(0, math.min(granted, math.floor(tokens - need + 1 + 1e-9)))
if granted < want then
  wait = math.max(wait, (need - (tokens - granted)) / rate)
end

if granted == 0 then
  return {0, tostring(wait)}
end

redis.call('HSET', KEYS[4], 'tokens', tostring(tokens - granted), 'at', ARGV[1])
redis.call('PEXPIRE', KEYS[4], ARGV[7])
local members = {}
for i = 1, granted do
  members[#members + 1] = ARGV[1]
  members[#members + 1] = ARGV[6] .. ':' .. i
end
redis.call('ZADD', KEYS[1], unpack(members))
redis.call('PEXPIRE', KEYS[1], ARGV[7])
if poll_limit > 0 then
  redis.call('ZADD', KEYS[2], unpack(members))
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
if granted < want then
  return {granted, tostring(wait)}
end
return {granted, '0'}
"""

# KEYS: 1 paused-until. ARGV: 1 the new paused-until, 2 its ttl in ms.
# Only ever moves the pause later: a short Retry-After must not cut a longer one short.
SLOW_DOWN_LUA = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
"""


class BudgetUnavailable(Exception):
    """Redis did not answer, so nobody knows how much budget is left.

    Callers must not call the gateway; the task retries later with a countdown.
    """


class BudgetUsage(TypedDict):
    requests: int  # counted in the current window, polls included
    polls: int
    rpm: int
    poll_limit: int
    paused_until: float | None  # a timestamp of the budget's clock; None when not paused
    tokens: float  # in the bucket now: requests that may go at once


def with_headroom(rpm: int) -> int:
    """A little under the gateway's limit: a slot is counted a few milliseconds before the
    gateway sees the request, so a window could otherwise be reused a hair too early."""
    return max(1, rpm - max(1, round(rpm * 0.02)))


class RequestBudget:
    """The per-API-key request budget; every instance with the same `key_prefix` shares it."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        rpm: int,
        key_prefix: str = "studio:gateway-budget",
        poll_share: float = 0.8,
        burst_seconds: float = BURST_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if rpm < 1:
            raise ValueError(f"rpm must be at least 1, not {rpm}")
        if not 0 < poll_share <= 1:
            raise ValueError(f"poll_share must be in (0, 1], not {poll_share}")
        if burst_seconds <= 0:
            raise ValueError(f"burst_seconds must be positive, not {burst_seconds}")
        self.client = client
        self.rpm = rpm
        # At least one poll: with a tiny rpm, polls that never run would strand every take.
        # The epsilon keeps 0.29 * 100 at 29, not 28.
        self.poll_limit = max(1, math.floor(poll_share * rpm + 1e-9))
        self.rate = rpm / WINDOW
        # At least one token, or a tiny rpm could never send anything.
        self.bucket_size = max(1.0, self.rate * burst_seconds)
        # What polls leave in the bucket for submits; never so much that a poll cannot fit.
        self.poll_reserve = (1 - poll_share) * (self.bucket_size - 1)
        self.clock = clock
        self.requests_key = f"{key_prefix}:requests"
        self.polls_key = f"{key_prefix}:polls"
        self.paused_key = f"{key_prefix}:paused-until"
        self.bucket_key = f"{key_prefix}:bucket"
        self._acquire = client.register_script(ACQUIRE_LUA)
        self._slow_down = client.register_script(SLOW_DOWN_LUA)

    @classmethod
    def from_settings(cls) -> "RequestBudget":
        """The budget the workers share, from `AIGATEWAY_RPM` and `STUDIO_BUDGET_REDIS_URL`,
        under `STUDIO_REDIS_PREFIX` like every key the studio writes (a Redis shared with other
        apps, or other installs, keeps one budget per install).

        Build it once per process: each call opens a new connection pool. Short socket
        timeouts, so that a hung Redis turns into `BudgetUnavailable` instead of a stuck worker.
        """
        url = settings.STUDIO_BUDGET_REDIS_URL
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        return cls(
            client,
            rpm=with_headroom(settings.AIGATEWAY_RPM),
            key_prefix=f"{settings.STUDIO_REDIS_PREFIX}:gateway-budget",
        )

    def acquire(self, kind: Kind) -> float:
        """0.0 when the caller may send one request now (and the request is counted), else the
        seconds to wait before asking again (nothing counted).

        Ask right before each gateway call and send it only on 0.0, so a refusal costs nothing.
        """
        granted, wait = self.acquire_many(kind, 1)
        return 0.0 if granted else wait

    def acquire_many(self, kind: Kind, count: int) -> tuple[int, float]:
        """Count up to `count` requests of this kind at once, for a worker about to send a
        batch: how many may go now (all counted), and, when fewer than asked, the seconds until
        one more could (0.0 when all were granted). The same rules as `count` single acquires,
        in one round trip."""
        if kind not in KINDS:
            raise ValueError(f"unknown request kind {kind!r}")
        if count < 1:
            return 0, 0.0
        now = self.clock()
        # Unique, so two requests in the same microsecond are two members, not one.
        prefix = f"{now!r}:{kind}:{secrets.token_hex(6)}"
        args: list[str | int] = [
            repr(now),
            repr(now - WINDOW),
            repr(WINDOW),
            self.rpm,
            self.poll_limit if kind == "poll" else 0,
            prefix,
            KEY_TTL_MS,
            repr(self.rate),
            repr(self.bucket_size),
            repr(1 + (self.poll_reserve if kind == "poll" else 0)),
            count,
        ]
        keys = [self.requests_key, self.polls_key, self.paused_key, self.bucket_key]
        granted, wait = self._call(lambda: self._acquire(keys=keys, args=args))
        granted = int(granted)
        if granted == count:
            return granted, 0.0
        return granted, max(float(wait), MIN_WAIT)

    def slow_down(self, retry_after: float) -> None:
        """A 429 came anyway: every worker waits at least retry_after seconds (a shared 'paused
        until' timestamp in Redis; never shortens an existing pause).

        A 429 means something else spends this key too (another deployment, a script), so our
        own count cannot be trusted until the gateway's Retry-After has passed.
        """
        if retry_after <= 0:
            return
        paused_until = self.clock() + retry_after
        ttl_ms = math.ceil(retry_after * 1000) + 1000
        self._call(
            lambda: self._slow_down(keys=[self.paused_key], args=[repr(paused_until), ttl_ms])
        )

    def usage(self) -> BudgetUsage:
        """What the current window holds, for the UI and the bench; counts nothing."""
        now = self.clock()
        after_cutoff = f"({now - WINDOW!r}"  # exclusive, as in acquire's pruning

        def read() -> list:
            pipe = self.client.pipeline(transaction=False)
            pipe.zcount(self.requests_key, after_cutoff, "+inf")
            pipe.zcount(self.polls_key, after_cutoff, "+inf")
            pipe.get(self.paused_key)
            pipe.hmget(self.bucket_key, ["tokens", "at"])
            return pipe.execute()

        requests, polls, paused, (tokens, at) = self._call(read)
        paused_until = float(paused) if paused is not None else None
        if tokens is None:
            in_bucket = self.bucket_size
        else:
            refill = max(0.0, now - float(at)) * self.rate
            in_bucket = min(self.bucket_size, float(tokens) + refill)
        return {
            "requests": requests,
            "polls": polls,
            "rpm": self.rpm,
            "poll_limit": self.poll_limit,
            "paused_until": paused_until if paused_until and paused_until > now else None,
            "tokens": in_bucket,
        }

    def room(self, kind: Kind, *, within: float) -> int:
        """About how many requests of this kind may go within the next `within` seconds, for
        a dispatcher sizing its batch: an estimate that counts nothing, so each request still
        asks `acquire()` (other workers spend the same budget meanwhile)."""
        usage = self.usage()
        if usage["paused_until"] is not None:
            return 0
        left = self.rpm - usage["requests"]
        bucket = usage["tokens"] + self.rate * within
        if kind == "poll":
            left = min(left, self.poll_limit - usage["polls"])
            bucket -= self.poll_reserve
        return max(0, min(left, math.floor(bucket)))

    def _call[T](self, call: Callable[[], T]) -> T:
        # Any Redis failure (refused, timed out, loading, out of memory) means the same to the
        # caller: the budget is unknown, so do not call the gateway now.
        try:
            return call()
        except redis.RedisError as exc:
            raise BudgetUnavailable(f"the gateway request budget is unavailable: {exc}") from exc
