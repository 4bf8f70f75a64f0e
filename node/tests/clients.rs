//! Real clients against our node: the `redis` crate, redis-cli, redis-benchmark
//! and redis-py (node/tests/py/). Every test body also runs against a real
//! redis-server 7.0 (`cargo test --test clients redis`), which proves the
//! test itself is right.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{run_with_timeout, start_target, Proc, Raw, Target};
use redis::{ErrorKind, Value};

fn client(p: &Proc) -> redis::Connection {
    connect_url(&format!("redis://127.0.0.1:{}/", p.port))
}

fn connect_url(url: &str) -> redis::Connection {
    let c = redis::Client::open(url).unwrap_or_else(|e| panic!("client for {url}: {e}"));
    let con = c
        .get_connection_with_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    con.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("read timeout");
    con
}

fn q<T: redis::FromRedisValue>(con: &mut redis::Connection, c: &mut redis::Cmd) -> T {
    let shown = String::from_utf8_lossy(&c.get_packed_command())
        .chars()
        .take(120)
        .collect::<String>();
    c.query(con)
        .unwrap_or_else(|e| panic!("{shown:?} failed: {e}"))
}

fn cmd(name: &str) -> redis::Cmd {
    redis::cmd(name)
}

// ---------------------------------------------------------------------------
// The `redis` crate (sync API).

fn crate_round_trips(t: Target) {
    let p = start_target(t, &[]);
    let mut c = client(&p);
    let ok: String = q(&mut c, cmd("SET").arg("k").arg("v"));
    assert_eq!(ok, "OK", "SET reply");
    let v: Option<String> = q(&mut c, cmd("GET").arg("k"));
    assert_eq!(v.as_deref(), Some("v"), "GET after SET");
    let missing: Option<String> = q(&mut c, cmd("GET").arg("nosuchkey"));
    assert_eq!(missing, None, "GET of a missing key is nil");
    let n: i64 = q(&mut c, cmd("INCR").arg("ctr"));
    assert_eq!(n, 1, "INCR of a new key");
    let n: i64 = q(&mut c, cmd("INCR").arg("ctr"));
    assert_eq!(n, 2, "second INCR");
    let e = cmd("INCR")
        .arg("k")
        .query::<i64>(&mut c)
        .expect_err("INCR of a non-integer must fail");
    assert_eq!(e.code(), Some("ERR"), "INCR error code: {e}");
    assert_eq!(
        e.detail(),
        Some("value is not an integer or out of range"),
        "INCR error text"
    );
    let ok: String = q(&mut c, cmd("MSET").arg("a").arg("1").arg("b").arg("2"));
    assert_eq!(ok, "OK", "MSET reply");
    let got: Vec<Option<String>> = q(&mut c, cmd("MGET").arg("a").arg("nokey").arg("b"));
    assert_eq!(
        got,
        vec![Some("1".to_string()), None, Some("2".to_string())],
        "MGET a nokey b"
    );
    let ttl: i64 = q(&mut c, cmd("TTL").arg("a"));
    assert_eq!(ttl, -1, "TTL of a key without expiry");
    let set: i64 = q(&mut c, cmd("EXPIRE").arg("a").arg(100));
    assert_eq!(set, 1, "EXPIRE of an existing key");
    let ttl: i64 = q(&mut c, cmd("TTL").arg("a"));
    assert!((99..=100).contains(&ttl), "TTL after EXPIRE 100 is {ttl}");
    let ttl: i64 = q(&mut c, cmd("TTL").arg("nokey"));
    assert_eq!(ttl, -2, "TTL of a missing key");
    let set: i64 = q(&mut c, cmd("EXPIRE").arg("nokey").arg(100));
    assert_eq!(set, 0, "EXPIRE of a missing key");
    let del: i64 = q(&mut c, cmd("DEL").arg("a").arg("b").arg("nokey"));
    assert_eq!(del, 2, "DEL a b nokey");
    let got: Vec<Option<String>> = q(&mut c, cmd("MGET").arg("a").arg("b"));
    assert_eq!(got, vec![None, None], "MGET after DEL");

    // Binary-safe keys and values: every byte value, CR/LF, NUL.
    let key: Vec<u8> = b"bin\x00\r\n\xff key".to_vec();
    let val: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    let ok: String = q(&mut c, cmd("SET").arg(&key).arg(&val));
    assert_eq!(ok, "OK", "SET of a binary key");
    let got: Vec<u8> = q(&mut c, cmd("GET").arg(&key));
    assert_eq!(got, val, "binary value round trip");
    let empty: Vec<u8> = Vec::new();
    let ok: String = q(&mut c, cmd("SET").arg(&empty).arg(&empty));
    assert_eq!(ok, "OK", "SET of the empty key");
    let got: Option<Vec<u8>> = q(&mut c, cmd("GET").arg(&empty));
    assert_eq!(got, Some(vec![]), "empty key holds the empty value");
    let del: i64 = q(&mut c, cmd("DEL").arg(&key));
    assert_eq!(del, 1, "DEL of the binary key");
}
dual_test!(redis_crate_round_trips, crate_round_trips);

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    // Not periodic at any power of two, so a shifted or repeated chunk shows.
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
}

fn crate_big_values(t: Target) {
    let p = start_target(t, &[]);
    let mut c = client(&p);
    for (mb, seed) in [(10usize, 0x5a_u8), (100, 0xa5)] {
        let val = pattern(mb * 1024 * 1024, seed);
        let key = format!("big{mb}");
        let ok: String = q(&mut c, cmd("SET").arg(&key).arg(&val));
        assert_eq!(ok, "OK", "SET of a {mb} MB value");
        let len: i64 = q(&mut c, cmd("STRLEN").arg(&key));
        assert_eq!(len as usize, val.len(), "STRLEN of the {mb} MB value");
        let got: Vec<u8> = q(&mut c, cmd("GET").arg(&key));
        assert!(
            got == val,
            "GET of the {mb} MB value returned {} bytes that differ from what was set",
            got.len()
        );
        let del: i64 = q(&mut c, cmd("DEL").arg(&key));
        assert_eq!(del, 1, "DEL of the {mb} MB value");
    }
    let pong: String = q(&mut c, &mut cmd("PING"));
    assert_eq!(
        pong, "PONG",
        "the connection still works after the big values"
    );
}
dual_test!(redis_crate_big_values, crate_big_values);

fn crate_pipeline_10k(t: Target) {
    let p = start_target(t, &[]);
    let mut c = client(&p);
    let mut pipe = redis::pipe();
    for i in 0..2500 {
        pipe.cmd("SET").arg(format!("p:{i}")).arg(format!("v{i}"));
        pipe.cmd("GET").arg(format!("p:{i}"));
        pipe.cmd("INCR").arg("p:ctr");
        pipe.cmd("ECHO").arg(format!("e{i}"));
    }
    let replies: Vec<Value> = pipe
        .query(&mut c)
        .unwrap_or_else(|e| panic!("pipeline of 10000 commands failed: {e}"));
    assert_eq!(replies.len(), 10_000, "one reply per pipelined command");
    for (i, chunk) in replies.chunks(4).enumerate() {
        assert_eq!(chunk[0], Value::Okay, "reply to SET p:{i}");
        assert_eq!(
            chunk[1],
            Value::BulkString(format!("v{i}").into_bytes()),
            "reply to GET p:{i}"
        );
        assert_eq!(chunk[2], Value::Int(i as i64 + 1), "reply to INCR #{i}");
        assert_eq!(
            chunk[3],
            Value::BulkString(format!("e{i}").into_bytes()),
            "reply to ECHO e{i}"
        );
    }
}
dual_test!(redis_crate_pipeline_10k, crate_pipeline_10k);

/// Finds `key` in a RESP3 map reply.
fn map_get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Map(entries) => entries.iter().find_map(|(k, v)| match k {
            Value::BulkString(b) if b == key.as_bytes() => Some(v),
            Value::SimpleString(s) if s == key => Some(v),
            _ => None,
        }),
        _ => None,
    }
}

fn crate_resp3(t: Target) {
    let p = start_target(t, &[]);
    // The crate sends HELLO 3 itself when asked for RESP3.
    let mut c = connect_url(&format!("redis://127.0.0.1:{}/?protocol=resp3", p.port));
    let hello: Value = q(&mut c, cmd("HELLO").arg(3));
    assert!(
        matches!(hello, Value::Map(_)),
        "HELLO 3 replies with a RESP3 map, got {hello:?}"
    );
    assert_eq!(
        map_get(&hello, "proto"),
        Some(&Value::Int(3)),
        "HELLO 3 reports proto 3: {hello:?}"
    );
    assert_eq!(
        map_get(&hello, "server"),
        Some(&Value::BulkString(b"redis".to_vec())),
        "HELLO reports server redis: {hello:?}"
    );
    let pong: String = q(&mut c, &mut cmd("PING"));
    assert_eq!(pong, "PONG", "PING in RESP3");
    let ok: String = q(&mut c, cmd("SET").arg("r3").arg("x"));
    assert_eq!(ok, "OK", "SET in RESP3");
    let v: Value = q(&mut c, cmd("GET").arg("r3"));
    assert_eq!(v, Value::BulkString(b"x".to_vec()), "GET in RESP3");
    let v: Value = q(&mut c, cmd("GET").arg("r3-missing"));
    assert_eq!(
        v,
        Value::Nil,
        "GET of a missing key in RESP3 is the null type"
    );

    // The same over a raw connection: the exact RESP3 bytes.
    let mut raw = Raw::connect(p.port);
    let hello = raw.cmd(&[b"HELLO", b"3"]);
    assert!(
        hello.starts_with(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n"),
        "raw HELLO 3 reply: {}",
        common::show_bytes(&hello)
    );
    let proto = b"$5\r\nproto\r\n:3\r\n";
    assert!(
        hello.windows(proto.len()).any(|w| w == proto),
        "raw HELLO 3 reply has proto 3: {}",
        common::show_bytes(&hello)
    );
    assert_eq!(
        common::show_bytes(&raw.cmd(&[b"GET", b"r3-missing"])),
        "_\\r\\n",
        "RESP3 null for a missing key"
    );
}
dual_test!(redis_crate_resp3, crate_resp3);

/// The parts of RESP3 that need only HELLO/PING/ECHO.
fn crate_resp3_connection(t: Target) {
    let p = start_target(t, &[]);
    let mut c = connect_url(&format!("redis://127.0.0.1:{}/?protocol=resp3", p.port));
    let hello: Value = q(&mut c, cmd("HELLO").arg(3));
    assert_eq!(
        map_get(&hello, "proto"),
        Some(&Value::Int(3)),
        "HELLO 3 reports proto 3: {hello:?}"
    );
    let e: Vec<u8> = q(&mut c, cmd("ECHO").arg(b"a\r\nb\x00".as_slice()));
    assert_eq!(e, b"a\r\nb\x00", "binary ECHO in RESP3");
    let hello2: Value = q(&mut c, cmd("HELLO").arg(2));
    match hello2 {
        Value::Array(ref items) => {
            let i = items
                .iter()
                .position(|v| *v == Value::BulkString(b"proto".to_vec()))
                .unwrap_or_else(|| panic!("HELLO 2 reply has proto: {hello2:?}"));
            assert_eq!(items[i + 1], Value::Int(2), "HELLO 2 reports proto 2");
        }
        other => panic!("HELLO 2 replies with a flat array, got {other:?}"),
    }
}
dual_test!(redis_crate_resp3_connection, crate_resp3_connection);

fn crate_auth(t: Target) {
    let p = start_target(t, &["--requirepass", "s3cret"]);
    let mut c = client(&p);
    for (what, command) in [
        ("PING", cmd("PING")),
        ("ECHO", {
            let mut g = cmd("ECHO");
            g.arg("k");
            g
        }),
    ] {
        let e = command
            .query::<Value>(&mut c)
            .expect_err("commands before AUTH must fail");
        assert_eq!(e.code(), Some("NOAUTH"), "{what} before AUTH: {e}");
        assert_eq!(
            e.detail(),
            Some("Authentication required."),
            "{what} before AUTH: {e}"
        );
    }
    let e = cmd("AUTH")
        .arg("wrong")
        .query::<Value>(&mut c)
        .expect_err("AUTH with a wrong password must fail");
    assert_eq!(e.code(), Some("WRONGPASS"), "wrong password: {e}");
    assert_eq!(
        e.detail(),
        Some("invalid username-password pair or user is disabled."),
        "wrong password: {e}"
    );
    let e = cmd("AUTH")
        .arg("default")
        .arg("wrong")
        .query::<Value>(&mut c)
        .expect_err("AUTH default wrong must fail");
    assert_eq!(e.code(), Some("WRONGPASS"), "AUTH default wrong: {e}");
    let ok: Value = q(&mut c, cmd("AUTH").arg("s3cret"));
    assert_eq!(ok, Value::Okay, "AUTH with the right password");
    let pong: String = q(&mut c, &mut cmd("PING"));
    assert_eq!(pong, "PONG", "PING after AUTH");

    // Password in the URL: the crate authenticates while connecting.
    let mut c2 = connect_url(&format!("redis://:s3cret@127.0.0.1:{}/", p.port));
    let pong: String = q(&mut c2, &mut cmd("PING"));
    assert_eq!(pong, "PONG", "PING on a connection authenticated by URL");
    let mut c3 = connect_url(&format!(
        "redis://default:s3cret@127.0.0.1:{}/?protocol=resp3",
        p.port
    ));
    let pong: String = q(&mut c3, &mut cmd("PING"));
    assert_eq!(pong, "PONG", "PING after HELLO 3 AUTH default s3cret");
    let bad = redis::Client::open(format!("redis://:nope@127.0.0.1:{}/", p.port))
        .expect("client")
        .get_connection_with_timeout(Duration::from_secs(10));
    match bad {
        Ok(_) => panic!("connecting with a wrong password must fail"),
        Err(e) => assert_eq!(
            e.kind(),
            ErrorKind::AuthenticationFailed,
            "wrong password in the URL: {e}"
        ),
    }

    // Exact bytes, as any client sees them.
    let mut raw = Raw::connect(p.port);
    assert_eq!(
        raw.cmd(&[b"ECHO", b"x"]),
        b"-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        raw.cmd(&[b"AUTH", b"x"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(raw.cmd(&[b"AUTH", b"s3cret"]), b"+OK\r\n");
    assert_eq!(raw.cmd(&[b"ECHO", b"x"]), b"$1\r\nx\r\n");
}
dual_test!(redis_crate_auth, crate_auth);

// ---------------------------------------------------------------------------
// redis-cli (Debian's redis-tools).

fn cli(p: &Proc, args: &[&str]) -> common::Ran {
    cli_stdin(p, args, None)
}

fn cli_stdin(p: &Proc, args: &[&str], stdin: Option<Vec<u8>>) -> common::Ran {
    let mut c = Command::new("redis-cli");
    c.arg("-p").arg(p.port.to_string()).args(args);
    let r = run_with_timeout(&mut c, stdin, Duration::from_secs(60));
    assert!(
        r.status.success(),
        "redis-cli {args:?} exited with {}: stdout {:?} stderr {:?}",
        r.status,
        r.stdout,
        r.stderr
    );
    r
}

fn cli_set_get(t: Target) {
    let p = start_target(t, &[]);
    assert_eq!(cli(&p, &["set", "k", "v"]).stdout, "OK\n", "redis-cli set");
    assert_eq!(cli(&p, &["get", "k"]).stdout, "v\n", "redis-cli get");
    assert_eq!(
        cli(&p, &["get", "nokey"]).stdout,
        "\n",
        "redis-cli get nokey"
    );
    assert_eq!(cli(&p, &["incr", "n"]).stdout, "1\n", "redis-cli incr");
    let r = cli(&p, &["incr", "k"]);
    assert_eq!(
        r.stdout, "ERR value is not an integer or out of range\n\n",
        "redis-cli prints the error"
    );
    assert_eq!(
        cli(&p, &["mget", "k", "nokey", "n"]).stdout,
        "v\n\n1\n",
        "redis-cli mget"
    );
}
dual_test!(redis_cli_set_get, cli_set_get);

/// redis-cli against the connection commands only.
fn cli_connection(t: Target) {
    let p = start_target(t, &[]);
    assert_eq!(cli(&p, &["ping"]).stdout, "PONG\n", "redis-cli ping");
    assert_eq!(cli(&p, &["echo", "a b"]).stdout, "a b\n", "redis-cli echo");
    assert_eq!(
        cli(&p, &["-n", "3", "ping"]).stdout,
        "PONG\n",
        "redis-cli -n 3 (SELECT 3 first)"
    );
    let r = cli(&p, &["nosuchcommand", "x"]);
    assert_eq!(
        r.stdout, "ERR unknown command 'nosuchcommand', with args beginning with: 'x' \n\n",
        "redis-cli shows the unknown command error"
    );
    // Commands read from stdin, one per line.
    let r = cli_stdin(&p, &[], Some(b"ping\necho hello\nping there\n".to_vec()));
    assert_eq!(r.stdout, "PONG\nhello\nthere\n", "redis-cli reading stdin");
}
dual_test!(redis_cli_connection, cli_connection);

fn cli_resp3(t: Target) {
    let p = start_target(t, &[]);
    let r = cli(&p, &["-3", "hello", "3"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    // redis-cli prints a map one "key value" pair per line.
    assert_eq!(
        lines.first(),
        Some(&"server redis"),
        "-3 hello 3: {:?}",
        r.stdout
    );
    assert!(
        lines.contains(&"proto 3"),
        "-3 hello 3 shows proto 3: {:?}",
        r.stdout
    );
    assert_eq!(cli(&p, &["-3", "ping"]).stdout, "PONG\n", "-3 ping");
    assert_eq!(cli(&p, &["-3", "set", "k", "v"]).stdout, "OK\n", "-3 set");
    assert_eq!(cli(&p, &["-3", "get", "k"]).stdout, "v\n", "-3 get");
    assert_eq!(
        cli(&p, &["-3", "get", "nokey"]).stdout,
        "\n",
        "-3 get of a missing key (RESP3 null)"
    );
}
dual_test!(redis_cli_resp3, cli_resp3);

fn cli_pipe(t: Target) {
    let p = start_target(t, &[]);
    let mut input = Vec::with_capacity(100_000 * 40);
    for i in 0..100_000 {
        let k = format!("key:{i}");
        let v = format!("value:{i}");
        input.extend_from_slice(&common::encode(&[b"SET", k.as_bytes(), v.as_bytes()]));
    }
    let r = cli_stdin(&p, &["--pipe"], Some(input));
    assert!(
        r.stdout.contains("errors: 0, replies: 100000"),
        "redis-cli --pipe summary: stdout {:?} stderr {:?}",
        r.stdout,
        r.stderr
    );
    let mut c = client(&p);
    for i in [0, 1, 4242, 99_999] {
        let v: Option<String> = q(&mut c, cmd("GET").arg(format!("key:{i}")));
        assert_eq!(v, Some(format!("value:{i}")), "key:{i} after --pipe");
    }
    let n: i64 = q(&mut c, &mut cmd("DBSIZE"));
    assert_eq!(n, 100_000, "DBSIZE after --pipe");
}
dual_test!(redis_cli_pipe, cli_pipe);

/// --pipe with commands that exist on every server: ECHO, PING.
fn cli_pipe_connection(t: Target) {
    let p = start_target(t, &[]);
    let mut input = Vec::new();
    for i in 0..20_000 {
        let v = format!("e{i}");
        input.extend_from_slice(&common::encode(&[b"ECHO", v.as_bytes()]));
        input.extend_from_slice(b"PING\r\n");
    }
    let r = cli_stdin(&p, &["--pipe"], Some(input));
    assert!(
        r.stdout.contains("errors: 0, replies: 40000"),
        "redis-cli --pipe summary: stdout {:?} stderr {:?}",
        r.stdout,
        r.stderr
    );
}
dual_test!(redis_cli_pipe_connection, cli_pipe_connection);

const AUTH_WARNING: &str =
    "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.";

fn cli_auth(t: Target) {
    let p = start_target(t, &["--requirepass", "pw"]);
    let r = cli(&p, &["ping"]);
    assert_eq!(
        r.stdout, "NOAUTH Authentication required.\n\n",
        "redis-cli without a password"
    );
    let r = cli(&p, &["-a", "pw", "ping"]);
    assert_eq!(r.stdout, "PONG\n", "redis-cli -a pw ping");
    assert!(
        r.stderr.contains(AUTH_WARNING),
        "redis-cli warns about -a: {:?}",
        r.stderr
    );
    let r = cli(&p, &["-a", "pw", "--no-auth-warning", "echo", "hi"]);
    assert_eq!(
        r.stdout, "hi\n",
        "redis-cli -a pw --no-auth-warning echo hi"
    );
    assert_eq!(r.stderr, "", "--no-auth-warning prints nothing on stderr");
    let r = cli(&p, &["-a", "bad", "--no-auth-warning", "ping"]);
    assert!(
        r.stderr
            .contains("AUTH failed: WRONGPASS invalid username-password pair or user is disabled."),
        "redis-cli with a wrong password: stderr {:?}",
        r.stderr
    );
    assert_eq!(
        r.stdout, "NOAUTH Authentication required.\n\n",
        "the command after a failed AUTH"
    );
    let r = cli(&p, &["-3", "-a", "pw", "--no-auth-warning", "ping"]);
    assert_eq!(r.stdout, "PONG\n", "redis-cli -3 -a pw (HELLO 3 AUTH)");
    let r = cli(
        &p,
        &[
            "--user",
            "default",
            "--pass",
            "pw",
            "--no-auth-warning",
            "ping",
        ],
    );
    assert_eq!(r.stdout, "PONG\n", "redis-cli --user default --pass pw");
}
dual_test!(redis_cli_auth, cli_auth);

/// Inline commands written raw, as `nc` sends them: netcat-openbsd itself,
/// then the same bytes split at awkward places over a raw socket.
fn inline_raw(t: Target) {
    let p = start_target(t, &[]);
    let input = b"PING\r\nECHO hello\r\nECHO \"a b\\x41\"\nECHO \"a\" 'c d'\r\nPING \"with space\"\r\n\r\nQUIT\r\n";
    let want = b"+PONG\r\n$5\r\nhello\r\n$4\r\na bA\r\n-ERR wrong number of arguments for 'echo' command\r\n$10\r\nwith space\r\n+OK\r\n";
    let mut nc = Command::new("nc");
    nc.args(["-N", "-w", "10", "127.0.0.1", &p.port.to_string()]);
    let r = run_with_timeout(&mut nc, Some(input.to_vec()), Duration::from_secs(20));
    assert!(
        r.status.success(),
        "nc exited with {}: {:?}",
        r.status,
        r.stderr
    );
    assert_eq!(
        r.stdout.as_bytes(),
        want,
        "replies to inline commands sent with nc: {:?}",
        r.stdout
    );
    for split in [1, 3, 5, 7, 13] {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", p.port)).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        for chunk in input.chunks(split) {
            std::io::Write::write_all(&mut s, chunk).expect("write");
        }
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut got = Vec::new();
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        std::io::Read::read_to_end(&mut s, &mut got).expect("read to close");
        assert_eq!(
            common::show_bytes(&got),
            common::show_bytes(want),
            "inline commands written {split} bytes at a time"
        );
    }
    let mut raw = Raw::connect(p.port);
    raw.send(b"SET il \"x y\"\r\nGET il\r\n");
    assert_eq!(
        common::show_bytes(&raw.read_reply()),
        "+OK\\r\\n",
        "inline SET"
    );
    assert_eq!(
        common::show_bytes(&raw.read_reply()),
        "$3\\r\\nx y\\r\\n",
        "inline GET"
    );
}
dual_test!(inline_commands_raw, inline_raw);

// ---------------------------------------------------------------------------
// redis-benchmark.

fn benchmark(t: Target) {
    let p = start_target(t, &[]);
    for extra in [&[][..], &["-P", "16"][..]] {
        let port = p.port.to_string();
        let mut c = Command::new("redis-benchmark");
        c.args([
            "-p",
            &port,
            "-t",
            "set,get,incr,mset",
            "-n",
            "20000",
            "-c",
            "20",
            "-q",
        ])
        .args(extra);
        let r = run_with_timeout(&mut c, None, Duration::from_secs(120));
        assert!(
            r.status.success(),
            "redis-benchmark {extra:?} exited with {}: {:?} {:?}",
            r.status,
            r.stdout,
            r.stderr
        );
        // Progress lines end in \r; the final line of each test ends in \n.
        let finals: Vec<&str> = r
            .stdout
            .split('\n')
            .map(|l| l.rsplit('\r').next().unwrap_or(l).trim())
            .filter(|l| !l.is_empty())
            .collect();
        for test in ["SET", "GET", "INCR", "MSET (10 keys)"] {
            let prefix = format!("{test}: ");
            assert!(
                finals
                    .iter()
                    .any(|l| l.starts_with(&prefix) && l.contains(" requests per second")),
                "redis-benchmark {extra:?} reports a throughput line for {test}: {finals:?}"
            );
        }
        let all = format!("{}{}", r.stdout, r.stderr);
        for bad in ["rror", "WARN", "Could not"] {
            assert!(
                !all.contains(bad),
                "redis-benchmark {extra:?} output contains {bad:?}: {all:?}"
            );
        }
    }
    let mut raw = Raw::connect(p.port);
    assert_eq!(
        raw.cmd(&[b"PING"]),
        b"+PONG\r\n",
        "server answers after the benchmark"
    );
}
dual_test!(redis_benchmark, benchmark);

// ---------------------------------------------------------------------------
// redis-py.

fn redis_py(t: Target) {
    let check = run_with_timeout(
        Command::new("python3").args(["-c", "import redis; print(redis.__version__)"]),
        None,
        Duration::from_secs(30),
    );
    assert!(
        check.status.success(),
        "python3 with the redis package (redis-py) is required: run scripts/test-deps ({})",
        check.stderr.trim()
    );
    let p = start_target(t, &[]);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/test_clients.py");
    let r = run_with_timeout(
        Command::new("python3").arg(&script).arg(p.port.to_string()),
        None,
        Duration::from_secs(60),
    );
    assert!(
        r.status.success(),
        "redis-py tests against {} failed ({}):\n{}\n{}",
        p.kind,
        r.status,
        r.stdout,
        r.stderr
    );
    assert!(
        r.stdout.contains("all redis-py checks passed"),
        "redis-py script did not finish: {}",
        r.stdout
    );
}
dual_test!(redis_py_client, redis_py);
