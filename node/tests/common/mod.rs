//! Shared by the process tests: start our node or a real redis-server on a free
//! loopback port, wait until it answers, kill it on drop.
#![allow(dead_code)]

pub mod repl;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Proc {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
    pub kind: &'static str,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "rrs-test-{tag}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ N.fetch_add(1, Ordering::Relaxed)
}

pub fn node_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rrs-node"))
}

/// Whether Debian's redis-server is installed (scripts/test installs it).
pub fn have_redis() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Arguments both servers get so their replies can be compared.
const COMMON_ARGS: &[&str] = &[
    "--save",
    "",
    "--appendonly",
    "no",
    "--enable-debug-command",
    "yes",
    "--bind",
    "127.0.0.1",
];

/// Starts our node with extra `--name value` arguments.
pub fn start_node(extra: &[&str]) -> Proc {
    start("node", node_bin(), extra)
}

/// Starts a real redis-server 7.0 with the same arguments.
pub fn start_redis(extra: &[&str]) -> Proc {
    start("redis", PathBuf::from("redis-server"), extra)
}

fn start(kind: &'static str, bin: PathBuf, extra: &[&str]) -> Proc {
    start_from(kind, bin, None, extra)
}

/// Starts our node with a config file as its first argument (then the usual
/// `--port`, `--dir` and common arguments, which override the file).
pub fn start_node_with_config(conf: &std::path::Path, extra: &[&str]) -> Proc {
    start_from("node", node_bin(), Some(conf), extra)
}

fn start_from(
    kind: &'static str,
    bin: PathBuf,
    conf: Option<&std::path::Path>,
    extra: &[&str],
) -> Proc {
    for _attempt in 0..5 {
        let port = free_port();
        let dir = temp_dir(kind);
        let log = std::fs::File::create(dir.join("server.log")).expect("log file");
        let child = Command::new(&bin)
            .args(conf)
            .arg("--port")
            .arg(port.to_string())
            .arg("--dir")
            .arg(&dir)
            .args(COMMON_ARGS)
            .args(extra)
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        let mut p = Proc {
            child,
            port,
            dir,
            kind,
        };
        if wait_ready(&mut p, Duration::from_secs(10)) {
            return p;
        }
        // The port may have been taken between probing and binding: try another.
    }
    panic!("{kind} did not start");
}

fn wait_ready(p: &mut Proc, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = p.child.try_wait() {
            return false;
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", p.port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            if s.write_all(b"PING\r\n").is_ok() {
                let mut buf = [0u8; 64];
                if let Ok(n) = s.read(&mut buf) {
                    // +PONG, or -NOAUTH when a password is set: either way it serves.
                    if n > 0 {
                        return true;
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A raw RESP connection that returns replies as exact bytes.
pub struct Raw {
    pub r: BufReader<TcpStream>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.set_nodelay(true).expect("nodelay");
        Raw {
            r: BufReader::new(s),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.r.get_mut().write_all(bytes).expect("write");
    }

    /// Sends a command as a multibulk request.
    pub fn send_cmd(&mut self, args: &[&[u8]]) {
        self.send(&encode(args));
    }

    /// Sends a command and reads one whole reply, returned byte for byte.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_cmd(args);
        self.read_reply()
    }

    pub fn cmd_str(&mut self, line: &str) -> String {
        let args: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        String::from_utf8_lossy(&self.cmd(&args)).into_owned()
    }

    /// Reads exactly one RESP2/RESP3 reply (nested aggregates included).
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        read_value(&mut self.r, &mut out).expect("read reply");
        out
    }

    /// True when the server closed the connection (EOF) within the read timeout.
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.r.read(&mut b), Ok(0) | Err(_))
    }
}

pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

fn read_line(r: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    out.extend_from_slice(&line);
    Ok(line)
}

fn read_value(r: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<()> {
    let line = read_line(r, out)?;
    let body = std::str::from_utf8(&line[1..line.len().saturating_sub(2)]).unwrap_or("");
    let n: i64 = body.parse().unwrap_or(-1);
    match line[0] {
        b'$' | b'=' | b'!' if n >= 0 => {
            let mut buf = vec![0u8; n as usize + 2];
            r.read_exact(&mut buf)?;
            out.extend_from_slice(&buf);
        }
        b'*' | b'~' | b'>' if n > 0 => {
            for _ in 0..n {
                read_value(r, out)?;
            }
        }
        b'%' | b'|' if n > 0 => {
            for _ in 0..2 * n {
                read_value(r, out)?;
            }
            if line[0] == b'|' {
                read_value(r, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Splits a reply into its top-level element byte ranges (for unordered compares).
pub fn split_aggregate(reply: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let mut r = BufReader::new(reply);
    let mut header = Vec::new();
    let line = read_line(&mut r, &mut header).ok()?;
    let n: i64 = std::str::from_utf8(&line[1..line.len() - 2])
        .ok()?
        .parse()
        .ok()?;
    let count = match line[0] {
        b'*' | b'~' => n,
        b'%' => 2 * n,
        _ => return None,
    };
    let mut items = Vec::new();
    for _ in 0..count.max(0) {
        let mut v = Vec::new();
        read_value(&mut r, &mut v).ok()?;
        items.push(v);
    }
    if line[0] == b'%' {
        // Keep map entries as key+value pairs.
        items = items.chunks(2).map(|c| c.concat()).collect();
    }
    Some((header, items))
}

// ---------------------------------------------------------------------------
// Helpers for the client and hostile-input tests (clients.rs, bad_input.rs).

/// Which server a test body runs against. Every test of clients.rs and
/// bad_input.rs runs against both: a body that passes on real Redis 7.0 is right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Node,
    Redis,
}

/// Starts `target` with extra `--name value` arguments. Fails clearly when
/// redis-server is missing instead of skipping.
pub fn start_target(target: Target, extra: &[&str]) -> Proc {
    match target {
        Target::Node => start_node(extra),
        Target::Redis => {
            assert!(
                have_redis(),
                "redis-server 7.0 is required for this test: run scripts/test-deps"
            );
            start_redis(extra)
        }
    }
}

/// Declares `mod $name { fn node(); fn redis(); }`, two tests that run
/// `$body(Target)` against our node and against a real redis-server, so
/// `cargo test --test clients redis` runs the whole file against Redis.
#[macro_export]
macro_rules! dual_test {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn node() {
                super::$body($crate::common::Target::Node)
            }
            #[test]
            fn redis() {
                super::$body($crate::common::Target::Redis)
            }
        }
    };
}

impl Proc {
    /// Stops our node and starts it again on the same port and directory
    /// (its dump.rdb stays), with `extra` arguments.
    pub fn restart_node(&mut self, extra: &[&str]) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("server.log"))
            .expect("log file");
        self.child = Command::new(node_bin())
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(&self.dir)
            .args(COMMON_ARGS)
            .args(extra)
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn rrs-node");
        assert!(
            wait_ready(self, Duration::from_secs(10)),
            "node did not restart"
        );
    }

    /// Panics unless the server process is still running.
    pub fn assert_alive(&mut self, after: &str) {
        match self.child.try_wait() {
            Ok(None) => {}
            Ok(Some(status)) => {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                let tail: String = log
                    .lines()
                    .rev()
                    .take(30)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                panic!(
                    "{} exited ({status}) after {after}; log tail:\n{tail}",
                    self.kind
                )
            }
            Err(e) => panic!("{}: try_wait failed after {after}: {e}", self.kind),
        }
    }
}

/// What an external program printed, and how it ended.
#[derive(Debug)]
pub struct Ran {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a program with optional stdin bytes and kills it if it runs past
/// `limit`. Panics with a clear message when the program is missing.
pub fn run_with_timeout(cmd: &mut Command, stdin: Option<Vec<u8>>, limit: Duration) -> Ran {
    let program = format!("{:?}", cmd.get_program());
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (run scripts/test-deps): {e}"));
    let feeder = stdin.map(|bytes| {
        let mut w = child.stdin.take().expect("piped stdin");
        std::thread::spawn(move || {
            let _ = w.write_all(&bytes);
        })
    });
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait().expect("try_wait") {
            Some(s) => break s,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{program} did not finish within {limit:?}");
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    if let Some(f) = feeder {
        let _ = f.join();
    }
    Ran {
        status,
        stdout: String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned(),
    }
}

/// Sends `input` on a fresh connection, half-closes the connection (the
/// server then sees EOF once it has read everything), and returns every byte
/// the server sent until it closed. Keep `input` small enough that the
/// replies fit the socket buffers: Redis drops unsent replies on EOF.
pub fn exchange_until_close(port: u16, input: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(input).expect("write");
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 65536];
    loop {
        assert!(
            Instant::now() < deadline,
            "the server did not close the connection within 10 s after {:?}",
            show_bytes(input)
        );
        match s.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("read after {:?}: {e}", show_bytes(input)),
        }
    }
}

/// Escaped, shortened bytes for assertion messages.
pub fn show_bytes(b: &[u8]) -> String {
    let s = b.escape_ascii().to_string();
    if s.len() > 300 {
        format!("{}... ({} bytes)", &s[..300], b.len())
    } else {
        s
    }
}

// ---------------------------------------------------------------------------
// Replication: a raw fake replica that reads a master's stream.

/// A hand-driven replica connection: handshake, PSYNC, skip the RDB, then
/// read the command stream as parsed commands.
pub struct FakeReplica {
    pub r: BufReader<TcpStream>,
    /// +FULLRESYNC's replid and offset (or the +CONTINUE line).
    pub reply: String,
    /// The RDB payload the master sent.
    pub rdb: Vec<u8>,
}

impl FakeReplica {
    /// PSYNC ? -1 with the given REPLCONF capabilities (`eof` makes a
    /// diskless master send `$EOF:` framing). Returns once the RDB is read.
    pub fn full_sync(port: u16, capa_eof: bool) -> FakeReplica {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let mut f = FakeReplica {
            r: BufReader::new(s),
            reply: String::new(),
            rdb: Vec::new(),
        };
        f.send(&[b"REPLCONF", b"listening-port", b"1"]);
        assert_eq!(f.line(), "+OK");
        if capa_eof {
            f.send(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]);
        } else {
            f.send(&[b"REPLCONF", b"capa", b"psync2"]);
        }
        assert_eq!(f.line(), "+OK");
        f.send(&[b"PSYNC", b"?", b"-1"]);
        f.reply = f.line();
        assert!(f.reply.starts_with("+FULLRESYNC "), "{}", f.reply);
        f.read_rdb();
        f
    }

    pub fn send(&mut self, args: &[&[u8]]) {
        self.r
            .get_mut()
            .write_all(&encode(args))
            .expect("write to master");
    }

    /// The next non-empty line (bare newlines are keep-alives).
    pub fn line(&mut self) -> String {
        loop {
            let mut l = Vec::new();
            self.r.read_until(b'\n', &mut l).expect("read line");
            assert!(!l.is_empty(), "master closed the link");
            let s = String::from_utf8_lossy(&l).trim_end().to_string();
            if !s.is_empty() {
                return s;
            }
        }
    }

    fn read_rdb(&mut self) {
        let head = self.line();
        if let Some(mark) = head.strip_prefix("$EOF:") {
            let mark = mark.as_bytes().to_vec();
            let mut body = Vec::new();
            while !body.ends_with(&mark) {
                let mut b = [0u8; 1];
                self.r.read_exact(&mut b).expect("read rdb");
                body.push(b[0]);
            }
            body.truncate(body.len() - mark.len());
            self.rdb = body;
            // The master starts the stream at the first ACK once it marked
            // us online; repeat until it had a chance to.
            for _ in 0..5 {
                self.send(&[b"REPLCONF", b"ACK", b"0"]);
                std::thread::sleep(Duration::from_millis(100));
            }
        } else {
            let n: usize = head
                .strip_prefix('$')
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("bad bulk header {head}"));
            let mut body = vec![0u8; n];
            self.r.read_exact(&mut body).expect("read rdb");
            self.rdb = body;
        }
    }

    /// The next command of the stream, as its arguments.
    pub fn next_command(&mut self) -> Vec<Vec<u8>> {
        let head = self.line();
        let n: usize = head
            .strip_prefix('*')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("stream: expected a multibulk, got {head:?}"));
        let mut args = Vec::with_capacity(n);
        for _ in 0..n {
            let h = self.line();
            let len: usize = h
                .strip_prefix('$')
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("stream: expected a bulk, got {h:?}"));
            let mut a = vec![0u8; len + 2];
            self.r.read_exact(&mut a).expect("read bulk");
            a.truncate(len);
            args.push(a);
        }
        args
    }

    /// Stream commands up to and including the first whose arguments
    /// contain `marker`.
    pub fn read_until_marker(&mut self, marker: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        loop {
            let c = self.next_command();
            let done = c.iter().any(|a| a == marker);
            out.push(c);
            if done {
                return out;
            }
        }
    }
}
