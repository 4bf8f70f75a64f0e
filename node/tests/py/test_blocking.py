"""redis-py blocking commands (blpop, brpop, blmove, bzpopmin) with timeouts
against a server on the port given as argv[1]."""

import sys
import threading
import time

import redis


def wait_blocked(r, n):
    deadline = time.monotonic() + 10
    while r.info("clients")["blocked_clients"] != n:
        assert time.monotonic() < deadline, "clients never blocked"
        time.sleep(0.005)


def main():
    port = int(sys.argv[1])
    r = redis.Redis(port=port, decode_responses=True)
    r.flushall()

    # Timeouts: None after the timeout, fractional seconds accepted.
    assert r.blpop(["nokey"], timeout=0.05) is None
    assert r.brpop(["a", "b"], timeout=1) is None
    assert r.bzpopmin("z", timeout=0.05) is None
    assert r.blmove("a", "b", 0.05, "LEFT", "RIGHT") is None

    # Immediate pops.
    r.rpush("l", "x", "y")
    assert r.blpop(["nokey", "l"], timeout=1) == ("l", "x")
    assert r.brpop("l", timeout=0) == ("l", "y")
    r.zadd("z", {"a": 1, "b": 2})
    assert r.bzpopmax("z", timeout=1) == ("z", "b", 2.0)

    # Served by a push from another client while blocked with a timeout.
    result = {}

    def waiter():
        c = redis.Redis(port=port, decode_responses=True)
        result["v"] = c.blpop(["q"], timeout=30)

    th = threading.Thread(target=waiter)
    th.start()
    wait_blocked(r, 1)
    r.rpush("q", "job")
    th.join(30)
    assert result.get("v") == ("q", "job"), result
    assert r.info("clients")["blocked_clients"] == 0

    # Errors come back as ResponseError.
    r.set("s", "x")
    try:
        r.blpop(["s"], timeout=1)
        raise AssertionError("BLPOP of a string must fail")
    except redis.ResponseError as e:
        assert str(e).startswith("WRONGTYPE"), e
    try:
        r.execute_command("BLPOP", "l", "-1")
        raise AssertionError("a negative timeout must fail")
    except redis.ResponseError as e:
        assert str(e) == "timeout is negative", e

    print("all redis-py blocking checks passed")


if __name__ == "__main__":
    main()
