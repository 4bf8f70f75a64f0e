"""redis-py transactions (pipelines with transaction=True, Redis.transaction
with WATCH) against a server on the port given as argv[1]."""

import sys
import threading

import redis


def main():
    port = int(sys.argv[1])
    r = redis.Redis(port=port, decode_responses=True)
    r.flushall()

    with r.pipeline(transaction=True) as p:
        p.set("a", 1).incr("a").get("a").mget("a", "nosuch")
        assert p.execute() == [True, 2, "2", ["2", None]]

    # A runtime error is raised on execute (raise_on_error), others still ran.
    with r.pipeline(transaction=True) as p:
        p.set("s", "x").incr("s").set("after", 1)
        try:
            p.execute()
            raise AssertionError("INCR of a string must fail")
        except redis.ResponseError:
            pass
    assert r.get("after") == "1"
    with r.pipeline(transaction=True) as p:
        p.set("s", "x").incr("s").set("after2", 1)
        res = p.execute(raise_on_error=False)
        assert res[0] is True and isinstance(res[1], redis.ResponseError) and res[2] is True, res

    # A queueing error aborts everything.
    with r.pipeline(transaction=True) as p:
        p.set("never", 1).execute_command("NOSUCHCOMMAND")
        try:
            p.execute()
            raise AssertionError("EXECABORT expected")
        except redis.ResponseError as e:
            assert "EXECABORT" in str(e) or "unknown command" in str(e), e
    assert r.get("never") is None

    # WATCH: a change by another client raises WatchError.
    with r.pipeline() as p:
        p.watch("w")
        r.set("w", "changed")
        p.multi()
        p.set("w", "mine")
        try:
            p.execute()
            raise AssertionError("WatchError expected")
        except redis.WatchError:
            pass
    assert r.get("w") == "changed"

    # Concurrent increments through Redis.transaction (WATCH retry loop).
    r.set("ctr", 0)

    def incr(pipe):
        v = int(pipe.get("ctr"))
        pipe.multi()
        pipe.set("ctr", v + 1)

    def worker():
        c = redis.Redis(port=port, decode_responses=True)
        for _ in range(50):
            c.transaction(incr, "ctr")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.get("ctr") == "200", r.get("ctr")

    # Transfers between accounts keep the total constant for every reader.
    r.mset({"acc1": 1000, "acc2": 1000})
    stop = threading.Event()
    bad = []

    def reader():
        c = redis.Redis(port=port, decode_responses=True)
        while not stop.is_set():
            a, b = c.mget("acc1", "acc2")
            if int(a) + int(b) != 2000:
                bad.append((a, b))

    th = threading.Thread(target=reader)
    th.start()
    for i in range(200):
        with r.pipeline(transaction=True) as p:
            p.decrby("acc1", 3).incrby("acc2", 3)
            p.execute()
    stop.set()
    th.join()
    assert not bad, bad[:5]
    assert r.get("acc1") == "400" and r.get("acc2") == "1600"
    print("all redis-py transaction checks passed")


if __name__ == "__main__":
    main()
