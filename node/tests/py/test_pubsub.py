"""redis-py's PubSub against a server on the port given as argv[1]."""

import sys
import time

import redis


def wait_message(ps, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        m = ps.get_message(timeout=0.1)
        if m is not None:
            return m
    raise AssertionError("no message within %ss" % timeout)


def main():
    port = int(sys.argv[1])
    r = redis.Redis(port=port, decode_responses=True)
    ps = r.pubsub()
    ps.subscribe("a", "b")
    ps.psubscribe("p.*")
    confirmations = [wait_message(ps) for _ in range(3)]
    assert [m["type"] for m in confirmations] == ["subscribe", "subscribe", "psubscribe"], confirmations
    assert [m["data"] for m in confirmations] == [1, 2, 3], confirmations

    assert r.publish("a", "one") == 1
    m = wait_message(ps)
    assert m == {"type": "message", "pattern": None, "channel": "a", "data": "one"}, m
    assert r.publish("p.x", "two") == 1
    m = wait_message(ps)
    assert m == {"type": "pmessage", "pattern": "p.*", "channel": "p.x", "data": "two"}, m

    assert sorted(r.pubsub_channels()) == ["a", "b"]
    assert r.pubsub_numsub("a", "zz") == [("a", 1), ("zz", 0)]
    assert r.pubsub_numpat() == 1

    # Handlers run from get_message.
    seen = []
    ps.subscribe(**{"h": lambda msg: seen.append(msg["data"])})
    wait_message(ps)
    r.publish("h", "cb")
    end = time.time() + 5
    while not seen and time.time() < end:
        ps.get_message(timeout=0.1)
    assert seen == ["cb"], seen

    ps.unsubscribe()
    ps.punsubscribe()
    types = sorted(wait_message(ps)["type"] for _ in range(4))
    assert types == ["punsubscribe", "unsubscribe", "unsubscribe", "unsubscribe"], types
    assert r.pubsub_numpat() == 0
    assert r.pubsub_channels() == []
    ps.close()

    # A subscriber thread.
    ps2 = r.pubsub(ignore_subscribe_messages=True)
    got = []
    ps2.subscribe(**{"t": lambda msg: got.append(msg["data"])})
    th = ps2.run_in_thread(sleep_time=0.01)
    end = time.time() + 5
    while r.pubsub_numsub("t") != [("t", 1)] and time.time() < end:
        time.sleep(0.01)
    for i in range(20):
        r.publish("t", str(i))
    end = time.time() + 5
    while len(got) < 20 and time.time() < end:
        time.sleep(0.01)
    th.stop()
    th.join(5)
    assert got == [str(i) for i in range(20)], got
    print("all redis-py pubsub checks passed")


if __name__ == "__main__":
    main()
