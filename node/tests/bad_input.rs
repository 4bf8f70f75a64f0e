//! Hostile and malformed input. Bad input must never crash the node or disturb
//! other clients, and the protocol errors must be Redis 7.0's bytes exactly.
//! Every test body also runs against a real redis-server 7.0
//! (`cargo test --test bad_input redis`); the expected bytes below are what
//! Redis 7.0.15 sends.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use common::{encode, exchange_until_close, show_bytes, start_target, Proc, Raw, Target};

/// A client connected before the attack and kept open throughout; it must keep
/// getting correct answers.
struct Bystander {
    raw: Raw,
    n: u64,
}

impl Bystander {
    fn new(port: u16) -> Bystander {
        let mut b = Bystander {
            raw: Raw::connect(port),
            n: 0,
        };
        b.check("connecting");
        b
    }

    fn check(&mut self, after: &str) {
        self.n += 1;
        let payload = format!("bystander-{}-{}", self.n, "x".repeat(self.n as usize % 7));
        let got = self.raw.cmd(&[b"ECHO", payload.as_bytes()]);
        let want = format!("${}\r\n{payload}\r\n", payload.len());
        assert_eq!(
            show_bytes(&got),
            show_bytes(want.as_bytes()),
            "the bystander's ECHO after {after}"
        );
        assert_eq!(
            self.raw.cmd(&[b"PING"]),
            b"+PONG\r\n",
            "the bystander's PING after {after}"
        );
    }
}

/// Checks that the server survived `what`: still running, the bystander is
/// served, and a new connection is served.
fn survived(p: &mut Proc, by: &mut Bystander, what: &str) {
    p.assert_alive(what);
    by.check(what);
    let mut fresh = Raw::connect(p.port);
    assert_eq!(
        fresh.cmd(&[b"PING"]),
        b"+PONG\r\n",
        "a new client's PING after {what}"
    );
}

fn perr(msg: &str) -> Vec<u8> {
    format!("-ERR Protocol error: {msg}\r\n").into_bytes()
}

/// (name, input, everything the server sends before it closes the connection).
/// The client half-closes after the input, so a server waiting for the rest
/// of a request sees EOF and closes without replying.
fn corpus() -> Vec<(&'static str, Vec<u8>, Vec<u8>)> {
    let mut v: Vec<(&'static str, Vec<u8>, Vec<u8>)> = vec![
        (
            "integer where a bulk is expected",
            b"*3\r\n$3\r\nSET\r\n:5\r\n".to_vec(),
            perr("expected '$', got ':'"),
        ),
        (
            "simple string where a bulk is expected",
            b"*1\r\nfoo\r\n".to_vec(),
            perr("expected '$', got 'f'"),
        ),
        (
            "bulk length above proto-max-bulk-len",
            b"*1\r\n$2000000000\r\n".to_vec(),
            perr("invalid bulk length"),
        ),
        (
            "bulk length one above 512 MB",
            b"*1\r\n$536870913\r\n".to_vec(),
            perr("invalid bulk length"),
        ),
        (
            "negative bulk length",
            b"*1\r\n$-1\r\n".to_vec(),
            perr("invalid bulk length"),
        ),
        (
            "bulk length with a plus sign",
            b"*1\r\n$+1\r\na\r\n".to_vec(),
            perr("invalid bulk length"),
        ),
        (
            "bulk length with a trailing space",
            b"*1\r\n$1 \r\na\r\n".to_vec(),
            perr("invalid bulk length"),
        ),
        (
            "replies before the error are sent",
            b"PING\r\n*1\r\n$-5\r\nPING\r\n".to_vec(),
            [&b"+PONG\r\n"[..], &perr("invalid bulk length")].concat(),
        ),
        (
            "multibulk count is not a number",
            b"*abc\r\n".to_vec(),
            perr("invalid multibulk length"),
        ),
        (
            "multibulk count above INT_MAX",
            b"*3000000000\r\n".to_vec(),
            perr("invalid multibulk length"),
        ),
        (
            "multibulk count with a leading zero",
            b"*01\r\n$1\r\na\r\n".to_vec(),
            perr("invalid multibulk length"),
        ),
        (
            "multibulk count with a trailing space",
            b"*1 \r\n".to_vec(),
            perr("invalid multibulk length"),
        ),
        (
            "huge multibulk count, then disconnect",
            b"*1000000000\r\n".to_vec(),
            b"".to_vec(),
        ),
        (
            "huge multibulk count, some elements, then disconnect",
            [&b"*1000000000\r\n"[..], &b"$4\r\nECHO\r\n".repeat(50)].concat(),
            b"".to_vec(),
        ),
        (
            "truncated header, then disconnect",
            b"*1\r\n$1\r\n".to_vec(),
            b"".to_vec(),
        ),
        (
            "truncated bulk, then disconnect",
            b"*3\r\n$3\r\nSET\r\n$1\r\nk".to_vec(),
            b"".to_vec(),
        ),
        (
            "truncated count line, then disconnect",
            b"*2".to_vec(),
            b"".to_vec(),
        ),
        (
            "the two bytes after a bulk are not checked",
            b"*2\r\n$4\r\nECHO\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n".to_vec(),
            b"$3\r\nabc\r\n+PONG\r\n".to_vec(),
        ),
        (
            "a complete request, then an unfinished inline line",
            b"*1\r\n$4\r\nPING\r\nxx".to_vec(),
            b"+PONG\r\n".to_vec(),
        ),
        (
            "empty and null multibulks are skipped",
            b"*0\r\n*-1\r\n*-5\r\nPING\r\n".to_vec(),
            b"+PONG\r\n".to_vec(),
        ),
        (
            "blank inline lines are skipped",
            b"PING\nPING\r\n \r\n\n".to_vec(),
            b"+PONG\r\n+PONG\r\n".to_vec(),
        ),
        (
            "empty bulk argument",
            b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n".to_vec(),
            b"$0\r\n\r\n".to_vec(),
        ),
        (
            "unbalanced double quote",
            b"SET \"abc\r\nPING\r\n".to_vec(),
            perr("unbalanced quotes in request"),
        ),
        (
            "closing quote followed by a character",
            b"ECHO 'a'b\r\n".to_vec(),
            perr("unbalanced quotes in request"),
        ),
        (
            "invalid hex escape is taken literally",
            b"ECHO \"\\x4g\"\r\n".to_vec(),
            b"$3\r\nx4g\r\n".to_vec(),
        ),
        (
            "a bulk header at top level is an inline command",
            b"$5\r\n".to_vec(),
            b"-ERR unknown command '$5', with args beginning with: \r\n".to_vec(),
        ),
        (
            "non-UTF-8 bytes are echoed raw in the error",
            b"\xc3\x28abc d\xe9f\r\n".to_vec(),
            b"-ERR unknown command '\xc3\x28abc', with args beginning with: 'd\xe9f' \r\n".to_vec(),
        ),
        (
            // Redis finds the end of an inline line with strchr, which stops at
            // a NUL: the line never ends, and the client is left waiting.
            "NUL byte before the newline of an inline line",
            b"ab\x00cd ef\r\nPING\r\n".to_vec(),
            b"".to_vec(),
        ),
        (
            "unknown command arguments are cut near 128 bytes",
            [&b"UNKNOWNCMD "[..], &[b'x'; 200], b" y\r\n"].concat(),
            [
                &b"-ERR unknown command 'UNKNOWNCMD', with args beginning with: '"[..],
                &[b'x'; 128],
                b"' \r\n",
            ]
            .concat(),
        ),
        (
            "inline line longer than 64 KB without a newline",
            vec![b'a'; 70_000],
            perr("too big inline request"),
        ),
        (
            "multibulk count line longer than 64 KB",
            [&b"*"[..], &[b'1'; 70_000]].concat(),
            perr("too big mbulk count string"),
        ),
        (
            "bulk length line longer than 64 KB",
            [&b"*1\r\n$"[..], &[b'1'; 70_000]].concat(),
            perr("too big bulk count string"),
        ),
    ];
    // Redis formats the name and arguments of an unknown command with "%.128s":
    // a NUL byte ends each of them.
    v.push((
        "NUL inside an unknown command's name",
        encode(&[b"PI\x00NG"]),
        b"-ERR unknown command 'PI', with args beginning with: \r\n".to_vec(),
    ));
    v.push((
        "NUL and CR/LF inside an unknown command's arguments",
        encode(&[b"FOO", b"a\x00b", b"c\r\nd"]),
        b"-ERR unknown command 'FOO', with args beginning with: 'a' 'c  d' \r\n".to_vec(),
    ));
    // The same "%.128s" formatting for an unknown subcommand.
    v.push((
        "non-UTF-8 unknown subcommand",
        encode(&[b"CONFIG", b"\xff\xfe"]),
        b"-ERR unknown subcommand '\xff\xfe'. Try CONFIG HELP.\r\n".to_vec(),
    ));
    v.push((
        "NUL inside an unknown subcommand",
        encode(&[b"CONFIG", b"GE\x00T"]),
        b"-ERR unknown subcommand 'GE'. Try CONFIG HELP.\r\n".to_vec(),
    ));
    // A request with CR/LF inside the unknown command's name is one inline line.
    v.push((
        "CR inside an inline line",
        b"FOO\rBAR baz\r\n".to_vec(),
        b"-ERR unknown command 'FOO', with args beginning with: 'BAR' 'baz' \r\n".to_vec(),
    ));
    v
}

fn protocol_errors(t: Target) {
    let mut p = start_target(t, &[]);
    let mut by = Bystander::new(p.port);
    let mut failures = vec![];
    for (name, input, want) in corpus() {
        let got = exchange_until_close(p.port, &input);
        if got != want {
            failures.push(format!(
                "{name}:\n  input {}\n  got   {}\n  want  {}",
                show_bytes(&input),
                show_bytes(&got),
                show_bytes(&want)
            ));
        }
        survived(&mut p, &mut by, name);
    }
    assert!(
        failures.is_empty(),
        "{} of {} malformed inputs got other bytes than Redis 7.0 sends:\n{}",
        failures.len(),
        corpus().len(),
        failures.join("\n")
    );
}
dual_test!(protocol_errors_match_redis_7, protocol_errors);

/// The 7.0 limits for clients that have not authenticated yet.
fn unauthenticated_limits(t: Target) {
    let mut p = start_target(t, &["--requirepass", "pw"]);
    let mut by = Bystander {
        raw: Raw::connect(p.port),
        n: 0,
    };
    assert_eq!(by.raw.cmd(&[b"AUTH", b"pw"]), b"+OK\r\n", "bystander AUTH");
    by.check("AUTH");
    let eleven = [&b"*11\r\n"[..], &b"$4\r\nPING\r\n".repeat(11)].concat();
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        (
            "11 elements before AUTH",
            eleven.clone(),
            perr("unauthenticated multibulk length"),
        ),
        (
            // Only the header: unread data at close would make the server reset
            // the connection, and the error reply could be lost.
            "a bulk of 16385 bytes before AUTH",
            b"*2\r\n$4\r\nECHO\r\n$16385\r\n".to_vec(),
            perr("unauthenticated bulk length"),
        ),
        (
            "10 elements before AUTH are read, then refused",
            [&b"*10\r\n$4\r\nPING\r\n"[..], &b"$1\r\nx\r\n".repeat(9)].concat(),
            b"-NOAUTH Authentication required.\r\n".to_vec(),
        ),
        (
            "a bulk of 16384 bytes before AUTH is read, then refused",
            [
                &b"*2\r\n$4\r\nECHO\r\n$16384\r\n"[..],
                &[b'a'; 16384],
                b"\r\n",
            ]
            .concat(),
            b"-NOAUTH Authentication required.\r\n".to_vec(),
        ),
        (
            "inline commands have no such limit",
            [&b"ECHO "[..], &[b'a'; 20000], b"\r\n"].concat(),
            b"-NOAUTH Authentication required.\r\n".to_vec(),
        ),
        (
            "after AUTH the limits are gone",
            [
                &encode(&[b"AUTH", b"pw"])[..],
                &eleven,
                &encode(&[b"ECHO", &[b'b'; 16385]]),
            ]
            .concat(),
            [
                &b"+OK\r\n-ERR wrong number of arguments for 'ping' command\r\n$16385\r\n"[..],
                &[b'b'; 16385],
                b"\r\n",
            ]
            .concat(),
        ),
        (
            "a wrong password keeps the limits",
            [&encode(&[b"AUTH", b"nope"])[..], &eleven].concat(),
            [
                &b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"[..],
                &perr("unauthenticated multibulk length"),
            ]
            .concat(),
        ),
    ];
    for (name, input, want) in cases {
        let got = exchange_until_close(p.port, &input);
        assert_eq!(show_bytes(&got), show_bytes(&want), "{name}");
        p.assert_alive(name);
        by.check(name);
    }
}
dual_test!(unauthenticated_limits_match_redis_7, unauthenticated_limits);

/// A request split anywhere waits for the rest, and nothing is sent early.
fn truncated_frames_wait(t: Target) {
    let mut p = start_target(t, &[]);
    let mut by = Bystander::new(p.port);
    let req = encode(&[b"ECHO", b"hello\r\nworld"]);
    let want = b"$12\r\nhello\r\nworld\r\n";
    for cut in 1..req.len() {
        let mut c = Raw::connect(p.port);
        c.send(&req[..cut]);
        by.check(&format!("a request cut after {cut} bytes"));
        c.send(&req[cut..]);
        c.send(b"PING\r\n");
        let got = c.read_reply();
        assert_eq!(
            show_bytes(&got),
            show_bytes(want),
            "reply to a request sent in two writes cut at byte {cut}"
        );
        assert_eq!(c.read_reply(), b"+PONG\r\n", "PING after the cut request");
    }
    // Byte by byte, several requests.
    let mut c = Raw::connect(p.port);
    let mut all = Vec::new();
    for i in 0..20 {
        all.extend_from_slice(&encode(&[b"ECHO", format!("m{i}").as_bytes()]));
        all.extend_from_slice(format!("ECHO i{i}\r\n").as_bytes());
    }
    for b in &all {
        c.send(std::slice::from_ref(b));
    }
    for i in 0..20 {
        let m = format!("m{i}");
        let want = format!("${}\r\n{m}\r\n", m.len());
        assert_eq!(c.read_reply(), want.as_bytes(), "byte-by-byte ECHO {m}");
        let m = format!("i{i}");
        let want = format!("${}\r\n{m}\r\n", m.len());
        assert_eq!(
            c.read_reply(),
            want.as_bytes(),
            "byte-by-byte inline ECHO {m}"
        );
    }
    survived(&mut p, &mut by, "byte-by-byte requests");
}
dual_test!(truncated_frames_wait_for_the_rest, truncated_frames_wait);

/// Deterministic pseudo-random bytes (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Blobs of binary garbage: pure noise, noise after a valid request, noise
/// that starts like RESP, and RESP with corrupted bytes.
fn garbage_blobs() -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut v = Vec::new();
    for i in 0..120 {
        let n = 1 + (rng.next() % 1500) as usize;
        let noise = rng.bytes(n);
        let blob = match i % 4 {
            0 => noise,
            1 => [&b"PING\r\n"[..], &noise].concat(),
            2 => [&b"*2\r\n$"[..], &noise].concat(),
            _ => {
                let mut req = encode(&[b"ECHO", &rng.bytes(20)]);
                let at = (rng.next() as usize) % req.len();
                req[at] = rng.next() as u8;
                req
            }
        };
        v.push(blob);
    }
    v
}

fn binary_garbage(t: Target) {
    let mut p = start_target(t, &[]);
    let mut by = Bystander::new(p.port);
    for (i, blob) in garbage_blobs().iter().enumerate() {
        // Without a half-close: write and drop, the server sees the bytes and
        // then the disconnect, at whatever point of its parse it is.
        let mut s = TcpStream::connect(("127.0.0.1", p.port)).expect("connect");
        let _ = s.write_all(blob);
        drop(s);
        let _ = exchange_until_close(p.port, blob);
        if i % 10 == 9 {
            survived(&mut p, &mut by, &format!("garbage blob #{i}"));
        }
    }
    survived(&mut p, &mut by, "binary garbage");
}
dual_test!(binary_garbage_is_survived, binary_garbage);

/// Same garbage to both servers: the replies must be the same bytes.
#[test]
fn binary_garbage_replies_match_redis_7() {
    let node = start_target(Target::Node, &[]);
    let redis = start_target(Target::Redis, &[]);
    let mut failures = vec![];
    let blobs = garbage_blobs();
    for (i, blob) in blobs.iter().enumerate() {
        let ours = exchange_until_close(node.port, blob);
        let theirs = exchange_until_close(redis.port, blob);
        if ours != theirs {
            failures.push(format!(
                "blob #{i}: {}\n  node  {}\n  redis {}",
                show_bytes(blob),
                show_bytes(&ours),
                show_bytes(&theirs)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} garbage blobs got different replies (the first 10 shown):\n{}",
        failures.len(),
        blobs.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

/// Writes `bytes` from another thread, so the test can read replies while
/// the server is still receiving. Write errors (the server closed) are returned.
fn write_in_background(
    s: &TcpStream,
    bytes: Vec<u8>,
) -> std::thread::JoinHandle<std::io::Result<()>> {
    let mut w = s.try_clone().expect("clone socket");
    std::thread::spawn(move || w.write_all(&bytes))
}

fn pipeline_one_write(t: Target) {
    let mut p = start_target(t, &[]);
    let mut by = Bystander::new(p.port);
    let mut req = Vec::new();
    let mut want = Vec::new();
    for i in 0..10_000 {
        let m = format!("msg-{i}");
        if i % 2 == 0 {
            req.extend_from_slice(&encode(&[b"ECHO", m.as_bytes()]));
        } else {
            req.extend_from_slice(format!("ECHO {m}\r\n").as_bytes());
        }
        want.push(format!("${}\r\n{m}\r\n", m.len()).into_bytes());
    }
    let mut c = Raw::connect(p.port);
    let writer = write_in_background(c.r.get_ref(), req);
    for (i, w) in want.iter().enumerate() {
        let got = c.read_reply();
        assert_eq!(
            show_bytes(&got),
            show_bytes(w),
            "reply #{i} of 10000 pipelined commands"
        );
    }
    writer
        .join()
        .expect("writer thread")
        .expect("writing the pipeline");
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n", "PING after the pipeline");
    survived(&mut p, &mut by, "10000 pipelined commands");
}
dual_test!(pipeline_of_10k_in_one_write, pipeline_one_write);

fn disconnect_mid_reply(t: Target) {
    let mut p = start_target(t, &[]);
    let mut by = Bystander::new(p.port);
    let payload = vec![b'z'; 1024];
    let mut req = Vec::new();
    for _ in 0..10_000 {
        req.extend_from_slice(&encode(&[b"ECHO", &payload]));
    }
    for read_first in [0usize, 1, 5000] {
        let mut c = Raw::connect(p.port);
        let writer = write_in_background(c.r.get_ref(), req.clone());
        for _ in 0..read_first {
            c.read_reply();
        }
        // Close with unread replies (and maybe unsent requests): the server
        // gets a reset while writing.
        let _ = c.r.get_ref().shutdown(Shutdown::Both);
        drop(c);
        let _ = writer.join();
        survived(
            &mut p,
            &mut by,
            &format!("a client that read {read_first} of 10000 replies and closed"),
        );
    }
}
dual_test!(client_disconnects_mid_reply, disconnect_mid_reply);

/// Reads `n` bytes of a reply, then closes.
fn read_part_and_close(port: u16, request: Vec<u8>, n: usize) {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let writer = write_in_background(&s, request);
    let mut r = s.try_clone().expect("clone");
    let mut buf = vec![0u8; n];
    r.read_exact(&mut buf).expect("read the start of the reply");
    let _ = s.shutdown(Shutdown::Both);
    drop(s);
    drop(r);
    let _ = writer.join();
}

/// A 50 MB reply (ECHO of a 50 MB argument) of which the client reads 1 MB.
fn partial_big_echo(t: Target) {
    let mut p = start_target(t, &[]);
    let mut by = Bystander::new(p.port);
    let big = vec![b'q'; 50 * 1024 * 1024];
    let req = encode(&[b"ECHO", &big]);
    for round in 0..2 {
        read_part_and_close(p.port, req.clone(), 1024 * 1024);
        survived(
            &mut p,
            &mut by,
            &format!("a client that read 1 MB of a 50 MB ECHO reply and closed (round {round})"),
        );
    }
}
dual_test!(client_closes_during_50mb_echo_reply, partial_big_echo);

/// GET of a 50 MB value by a client that reads 1 MB and closes.
fn partial_big_get(t: Target) {
    let mut p = start_target(t, &[]);
    let mut by = Bystander::new(p.port);
    let big: Vec<u8> = (0..50 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
    let mut setter = Raw::connect(p.port);
    let writer = write_in_background(setter.r.get_ref(), encode(&[b"SET", b"big", &big]));
    let reply = setter.read_reply();
    assert_eq!(show_bytes(&reply), "+OK\\r\\n", "SET of a 50 MB value");
    writer.join().expect("writer").expect("write SET");
    for _ in 0..2 {
        read_part_and_close(p.port, encode(&[b"GET", b"big"]), 1024 * 1024);
        survived(
            &mut p,
            &mut by,
            "a client that read 1 MB of a 50 MB GET reply",
        );
    }
    let got = by.raw.cmd(&[b"GET", b"big"]);
    let header = format!("${}\r\n", big.len());
    assert!(
        got.len() == header.len() + big.len() + 2
            && got.starts_with(header.as_bytes())
            && got[header.len()..header.len() + big.len()] == big[..],
        "the bystander's GET of the 50 MB value ({} bytes back)",
        got.len()
    );
}
dual_test!(client_closes_during_50mb_get_reply, partial_big_get);

/// Many connections doing bad things at once while the bystander works.
fn concurrent_abuse(t: Target) {
    let mut p = start_target(t, &[]);
    let mut by = Bystander::new(p.port);
    let port = p.port;
    let deadline = Instant::now() + Duration::from_secs(30);
    let workers: Vec<_> = (0..4)
        .map(|w| {
            std::thread::spawn(move || {
                let cases = corpus();
                for (i, (_, input, _)) in cases.iter().enumerate() {
                    if Instant::now() > deadline {
                        break;
                    }
                    if (i + w) % 2 == 0 {
                        let _ = exchange_until_close(port, input);
                    } else if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                        let _ = s.write_all(input);
                    }
                }
            })
        })
        .collect();
    for i in 0..50 {
        by.check(&format!("concurrent abuse, round {i}"));
    }
    for w in workers {
        w.join().expect("abuse worker");
    }
    survived(&mut p, &mut by, "concurrent abuse");
}
dual_test!(concurrent_abuse_is_survived, concurrent_abuse);

/// Sends `input` from another thread (the server may close the connection
/// before it has all of it) and returns what the server sent until it closed
/// or reset the connection.
fn send_until_closed(port: u16, input: Vec<u8>, first: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut out = Vec::new();
    if !first.is_empty() {
        s.write_all(first).expect("write the first request");
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).expect("reply to the first request");
        out.extend_from_slice(&buf[..n]);
    }
    let writer = write_in_background(&s, input);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the server did not close the connection ({e}); it sent {}",
                show_bytes(&out)
            ),
        }
    }
    let _ = writer.join();
    out
}

/// client-query-buffer-limit and proto-max-bulk-len hold from the very first
/// request of a connection, not only after its first command ran.
fn limits_from_the_first_request(t: Target) {
    let mut p = start_target(t, &["--proto-max-bulk-len", "1mb"]);
    let mut by = Bystander::new(p.port);
    let header = b"*2\r\n$4\r\nECHO\r\n$2000000\r\n".to_vec();
    for first in [&b""[..], b"PING\r\n"] {
        let got = exchange_until_close(p.port, &[first, &header].concat());
        let want = [
            if first.is_empty() {
                &b""[..]
            } else {
                b"+PONG\r\n"
            },
            &perr("invalid bulk length"),
        ]
        .concat();
        assert_eq!(
            show_bytes(&got),
            show_bytes(&want),
            "a 2000000-byte bulk with proto-max-bulk-len 1mb (after {:?})",
            show_bytes(first)
        );
        survived(&mut p, &mut by, "a bulk longer than proto-max-bulk-len");
    }
    drop(p);

    // A bulk under proto-max-bulk-len that outgrows the query buffer limit:
    // the connection is closed without a reply.
    let mut p = start_target(t, &["--client-query-buffer-limit", "1mb"]);
    let mut by = Bystander::new(p.port);
    let big = encode(&[b"ECHO", &vec![b'a'; 2 * 1024 * 1024]]);
    for first in [&b""[..], b"PING\r\n"] {
        let got = send_until_closed(p.port, big.clone(), first);
        let want: &[u8] = if first.is_empty() { b"" } else { b"+PONG\r\n" };
        assert_eq!(
            show_bytes(&got),
            show_bytes(want),
            "a 2 MB ECHO with client-query-buffer-limit 1mb (after {:?}): the server closes without a reply",
            show_bytes(first)
        );
        survived(
            &mut p,
            &mut by,
            "a query buffer over client-query-buffer-limit",
        );
    }
    // Under the limit everything works.
    let ok = encode(&[b"ECHO", &vec![b'b'; 900 * 1024]]);
    let mut c = Raw::connect(p.port);
    let writer = write_in_background(c.r.get_ref(), ok);
    let got = c.read_reply();
    writer.join().expect("writer").expect("write a 900 KB ECHO");
    assert_eq!(got.len(), 900 * 1024 + 11, "reply to a 900 KB ECHO");
}
dual_test!(
    query_limits_hold_from_the_first_request,
    limits_from_the_first_request
);
