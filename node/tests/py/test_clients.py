"""redis-py against a server on 127.0.0.1:<port> (argv[1]).

Run by node/tests/clients.rs (redis_py_client) against our node and against a
real redis-server 7.0. Every check runs even when an earlier one fails, so one
run shows everything that is broken; the exit status is 1 if any check failed.
"""

import sys
import traceback

import redis

PORT = int(sys.argv[1])
FAILED = []


def conn(**kw):
    kw.setdefault("protocol", 2)
    return redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=30, **kw)


def check(fn):
    try:
        fn()
        print(f"ok   {fn.__name__}")
    except Exception:  # noqa: BLE001 - report every failure, keep going
        FAILED.append(fn.__name__)
        print(f"FAIL {fn.__name__}")
        traceback.print_exc(file=sys.stdout)
    return fn


def eq(got, want, what):
    assert got == want, f"{what}: got {got!r}, want {want!r}"


@check
def ping():
    r = conn()
    eq(r.ping(), True, "ping")
    eq(r.echo("hi"), b"hi", "echo")


@check
def basic_commands():
    r = conn()
    r.flushall()
    eq(r.set("k", "v"), True, "set")
    eq(r.get("k"), b"v", "get")
    eq(r.get("missing"), None, "get missing")
    eq(r.incr("n"), 1, "incr")
    eq(r.incrby("n", 41), 42, "incrby")
    eq(r.mset({"a": "1", "b": "2"}), True, "mset")
    eq(r.mget("a", "nope", "b"), [b"1", None, b"2"], "mget")
    eq(r.expire("a", 100), True, "expire")
    ttl = r.ttl("a")
    assert 99 <= ttl <= 100, f"ttl after expire 100: {ttl}"
    eq(r.ttl("b"), -1, "ttl without expiry")
    eq(r.exists("a", "b", "nope"), 2, "exists")
    eq(r.delete("a", "b", "nope"), 2, "delete")
    eq(r.set("nx", "1", nx=True), True, "set nx on a new key")
    eq(r.set("nx", "2", nx=True), None, "set nx on an existing key")
    eq(r.get("nx"), b"1", "value after set nx")
    eq(r.set(b"bin\x00\xff", b"\r\n\x00"), True, "binary set")
    eq(r.get(b"bin\x00\xff"), b"\r\n\x00", "binary get")


@check
def pipeline_without_transaction():
    r = conn()
    p = r.pipeline(transaction=False)
    for i in range(1000):
        p.set(f"p:{i}", i)
        p.incr("p:ctr")
        p.get(f"p:{i}")
    out = p.execute()
    eq(len(out), 3000, "pipeline reply count")
    for i in range(1000):
        eq(out[3 * i], True, f"set p:{i}")
        eq(out[3 * i + 1], i + 1, f"incr #{i}")
        eq(out[3 * i + 2], str(i).encode(), f"get p:{i}")


@check
def pipeline_connection_commands():
    r = conn()
    p = r.pipeline(transaction=False)
    for i in range(500):
        p.echo(f"e{i}")
        p.ping()
    out = p.execute()
    eq(len(out), 1000, "pipeline reply count")
    for i in range(500):
        eq(out[2 * i], f"e{i}".encode(), f"echo e{i}")
        eq(out[2 * i + 1], True, "ping")


@check
def resp3_protocol():
    r = conn(protocol=3)
    eq(r.ping(), True, "ping over RESP3")
    hello = r.execute_command("HELLO", "3")
    assert isinstance(hello, dict), f"HELLO 3 gives a map: {hello!r}"
    eq(hello.get(b"proto", hello.get("proto")), 3, "HELLO 3 proto")
    eq(r.echo("x"), b"x", "echo over RESP3")


@check
def resp3_data_commands():
    r = conn(protocol=3, decode_responses=True)
    eq(r.set("r3", "v"), True, "set over RESP3")
    eq(r.get("r3"), "v", "get over RESP3")
    eq(r.get("r3-missing"), None, "get missing over RESP3")
    cfg = r.config_get("maxmemory")
    eq(cfg, {"maxmemory": "0"}, "config_get over RESP3")


@check
def decode_responses():
    r = conn(decode_responses=True)
    eq(r.echo("héllo"), "héllo", "decoded echo")
    r.set("d", "ünïcode")
    eq(r.get("d"), "ünïcode", "decoded get")
    eq(r.mget("d", "none"), ["ünïcode", None], "decoded mget")


@check
def client_name():
    r = conn(decode_responses=True)
    eq(r.client_getname(), None, "client_getname before setname")
    eq(r.client_setname("py-test"), True, "client_setname")
    eq(r.client_getname(), "py-test", "client_getname")
    cid = r.client_id()
    assert isinstance(cid, int) and cid > 0, f"client_id: {cid!r}"


@check
def info_parses():
    r = conn()
    info = r.info()
    version = str(info.get("redis_version"))
    assert version.startswith("7.0."), f"info redis_version: {version!r}"
    assert info.get("tcp_port") == PORT, f"info tcp_port: {info.get('tcp_port')!r}"
    assert isinstance(info.get("connected_clients"), int), "connected_clients is an int"
    assert info.get("connected_clients") >= 1, "connected_clients >= 1"
    server = r.info("server")
    assert "redis_version" in server and "used_memory" not in server, "info server section"
    keyspace = r.info("keyspace")
    assert isinstance(keyspace, dict), f"info keyspace: {keyspace!r}"


@check
def config_get():
    r = conn(decode_responses=True)
    eq(r.config_get("maxmemory"), {"maxmemory": "0"}, "config_get maxmemory")
    got = r.config_get("maxmemory*")
    assert "maxmemory-policy" in got, f"config_get maxmemory*: {got!r}"
    eq(r.config_get("port"), {"port": str(PORT)}, "config_get port")
    eq(r.config_set("maxmemory-policy", "allkeys-lru"), True, "config_set")
    eq(r.config_get("maxmemory-policy"), {"maxmemory-policy": "allkeys-lru"}, "after set")


@check
def errors_are_exceptions():
    r = conn()
    try:
        r.execute_command("GET")
        raise AssertionError("GET without a key must fail")
    except redis.exceptions.ResponseError as e:
        eq(str(e), "wrong number of arguments for 'get' command", "wrong arity text")
    try:
        r.execute_command("NOSUCHCMD", "a", "b")
        raise AssertionError("an unknown command must fail")
    except redis.exceptions.ResponseError as e:
        eq(
            str(e),
            "unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ",
            "unknown command text",
        )
    r.set("str", "x")
    try:
        r.incr("str")
        raise AssertionError("INCR of a non-integer must fail")
    except redis.exceptions.ResponseError as e:
        eq(str(e), "value is not an integer or out of range", "incr error text")
    # The connection is still usable after the errors.
    eq(r.ping(), True, "ping after errors")


@check
def connection_errors_without_data_commands():
    r = conn()
    try:
        r.execute_command("ECHO")
        raise AssertionError("ECHO without an argument must fail")
    except redis.exceptions.ResponseError as e:
        eq(str(e), "wrong number of arguments for 'echo' command", "echo arity text")
    try:
        r.execute_command("NOSUCHCMD")
        raise AssertionError("an unknown command must fail")
    except redis.exceptions.ResponseError as e:
        eq(str(e), "unknown command 'NOSUCHCMD', with args beginning with: ", "unknown text")
    eq(r.ping(), True, "ping after errors")


@check
def scan_iter():
    r = conn(decode_responses=True)
    r.flushall()
    want = {f"scan:{i}" for i in range(500)}
    p = r.pipeline(transaction=False)
    for k in want:
        p.set(k, "1")
    p.set("other", "1")
    p.execute()
    got = set(r.scan_iter(match="scan:*", count=50))
    eq(got, want, "scan_iter match=scan:*")
    eq(len(set(r.scan_iter())), 501, "scan_iter over every key")


@check
def select_db():
    r = conn(db=3)
    eq(r.ping(), True, "ping on db 3")
    r1 = conn(db=1)
    r1.set("dbkey", "one")
    eq(conn(db=2).get("dbkey"), None, "db 2 does not see db 1's key")
    eq(r1.get("dbkey"), b"one", "db 1 sees its key")


@check
def hashes():
    for proto in (2, 3):
        r = conn(protocol=proto, decode_responses=True)
        r.delete("py:h", "py:big")
        eq(r.hset("py:h", mapping={"a": "1", "b": "2"}), 2, f"hset mapping resp{proto}")
        eq(r.hgetall("py:h"), {"a": "1", "b": "2"}, f"hgetall resp{proto}")
        eq(r.hincrby("py:h", "a", 5), 6, f"hincrby resp{proto}")
        eq(r.hincrbyfloat("py:h", "b", 0.5), 2.5, f"hincrbyfloat resp{proto}")
        eq(r.hmget("py:h", ["a", "x"]), ["6", None], f"hmget resp{proto}")
        eq(r.hexists("py:h", "a"), True, f"hexists resp{proto}")
        pairs = r.hrandfield("py:h", 2, withvalues=True)
        eq(len(pairs), 4 if proto == 2 else 2, f"hrandfield withvalues resp{proto}")
        p = r.pipeline(transaction=False)
        for i in range(300):
            p.hset("py:big", f"f{i}", i)
        p.execute()
        got = dict(r.hscan_iter("py:big", count=20))
        eq(len(got), 300, f"hscan_iter resp{proto}")
        eq(got["f7"], "7", f"hscan_iter values resp{proto}")
        eq(r.hdel("py:h", "a", "b"), 2, f"hdel resp{proto}")
        eq(r.exists("py:h"), 0, f"emptied hash removed resp{proto}")


if FAILED:
    print(f"{len(FAILED)} redis-py checks failed: {', '.join(FAILED)}")
    sys.exit(1)
print("all redis-py checks passed")
