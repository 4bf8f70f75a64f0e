//! The command table and the one dispatch gate every request goes through:
//! lookup, arity, protection, auth, pause, OOM, then the handler, then stats.
//! Handlers write their reply into the connection's [`Reply`] and return an
//! error value for the error replies; they never re-check arity or auth.

pub mod admin;
pub mod bitmap;
pub mod blocking;
pub mod client_cmd;
pub mod command_cmd;
pub mod config_cmd;
pub mod debug;
pub mod evict;
pub mod expire;
pub mod hash;
pub mod hll;
pub mod info;
pub mod keys;
pub mod list;
pub mod pubsub;
pub mod repl_cmd;
pub mod server_cmd;
pub mod set;
pub mod sort;
pub mod strings;
pub mod table;
pub mod tx;
pub mod zset;

use ahash::AHashMap as HashMap;
use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Instant;

use bytes::Bytes;

use crate::replication::Prop;
use crate::resp::Reply;
use crate::server::client::{Client, ReplyMode};
use crate::server::{Server, State};

/// Keyspace event classes, for [`Ctx::notify`].
pub use crate::store::notify::class;
pub use table::all as commands;

/// Command flags, named as COMMAND INFO prints them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const SENTINEL: u32 = 1 << 14;
    pub const ONLY_SENTINEL: u32 = 1 << 15;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 16;
    pub const PROTECTED: u32 = 1 << 17;
    pub const NO_ASYNC_LOADING: u32 = 1 << 18;
    pub const NO_MULTI: u32 = 1 << 19;
    pub const MOVABLE_KEYS: u32 = 1 << 20;
    pub const ALLOW_BUSY: u32 = 1 << 21;

    /// In COMMAND INFO order (populateCommandFlags / the flags table of commands.def).
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (SENTINEL, "sentinel"),
        (ONLY_SENTINEL, "only_sentinel"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (PROTECTED, "protected"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// A table row: `cmd!(name, arity, flags, (first, last, step), handler)`, with an
/// optional trailing slice of subcommands.
#[macro_export]
macro_rules! cmd {
    ($name:literal, $arity:expr, $flags:expr, ($f:expr, $l:expr, $s:expr), $h:expr) => {
        $crate::commands::Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            first_key: $f,
            last_key: $l,
            step: $s,
            handler: $h,
            subcommands: &[],
        }
    };
    ($name:literal, $arity:expr, $flags:expr, ($f:expr, $l:expr, $s:expr), $h:expr, $subs:expr) => {
        $crate::commands::Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            first_key: $f,
            last_key: $l,
            step: $s,
            handler: $h,
            subcommands: $subs,
        }
    };
}

pub type Handler = fn(&mut Ctx<'_>) -> CmdResult;
pub type CmdResult = Result<(), CmdError>;

/// One row of the command table.
pub struct Command {
    /// Lowercase name; subcommands carry their own name only ("get" of "config").
    pub name: &'static str,
    /// Redis convention: N = exactly N arguments (with the name), -N = at least N.
    pub arity: i32,
    pub flags: u32,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    pub handler: Handler,
    pub subcommands: &'static [Command],
}

impl Command {
    pub fn is(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    fn subcommand(&self, name: &[u8]) -> Option<&'static Command> {
        self.subcommands
            .iter()
            .find(|c| name.eq_ignore_ascii_case(c.name.as_bytes()))
    }
}

/// An error reply: the full line after '-', starting with its code. Bytes, not
/// text: Redis echoes arguments into errors byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, [u8]>);

impl CmdError {
    pub fn new(s: impl Into<CmdError>) -> Self {
        s.into()
    }
}

/// An error that quotes an argument byte for byte: `prefix` + arg + `suffix`,
/// with the argument cut like '%s' would (at a NUL).
pub fn err_quoting(prefix: &str, arg: &[u8], suffix: &str) -> CmdError {
    let mut v = prefix.as_bytes().to_vec();
    v.extend_from_slice(printable(arg, usize::MAX));
    v.extend_from_slice(suffix.as_bytes());
    CmdError(Cow::Owned(v))
}

impl From<&'static str> for CmdError {
    fn from(s: &'static str) -> Self {
        CmdError(Cow::Borrowed(s.as_bytes()))
    }
}

impl From<String> for CmdError {
    fn from(s: String) -> Self {
        CmdError(Cow::Owned(s.into_bytes()))
    }
}

impl From<Vec<u8>> for CmdError {
    fn from(s: Vec<u8>) -> Self {
        CmdError(Cow::Owned(s))
    }
}

pub const ERR_SYNTAX: &str = "ERR syntax error";
pub const ERR_WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const ERR_NOT_INT: &str = "ERR value is not an integer or out of range";
pub const ERR_NOT_FLOAT: &str = "ERR value is not a valid float";
pub const ERR_OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const ERR_NO_KEY: &str = "ERR no such key";
pub const ERR_DB_INDEX: &str = "ERR DB index is out of range";
pub const ERR_OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
pub const ERR_NOAUTH: &str = "NOAUTH Authentication required.";
pub const ERR_MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// What the connection does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Write the replies, then close (QUIT, CLIENT KILL of itself, protocol error).
    Close,
    /// The command was not executed: retry it when the CLIENT PAUSE ends.
    Postpone,
    /// Write the replies, then stop the server (SHUTDOWN).
    Shutdown,
    /// Write the replies, then serve this connection as a replica link
    /// (PSYNC/SYNC; `Client::replica_start` says how).
    Replica,
    /// WAIT: reply once `numreplicas` replicas acknowledged `offset`, or at
    /// `deadline_ms` (0: never) with the count reached.
    Wait {
        offset: i64,
        numreplicas: i64,
        deadline_ms: i64,
    },
    /// The command blocked (BLPOP...): its reply comes later, and the
    /// client's further requests wait until it is unblocked.
    Block,
}

/// What a handler sees: its arguments, the reply buffer, the locked state, and
/// the client that sent the command.
pub struct Ctx<'a> {
    pub args: &'a [Bytes],
    pub out: &'a mut Reply,
    pub st: &'a mut State,
    pub client: &'a mut Client,
    pub server: &'a Server,
    pub cmd: &'static Command,
    pub flow: Flow,
    /// Arguments (bit i = argument i, below 64) the slowlog shows as
    /// "(redacted)" (redactClientCommandArgument: passwords of CONFIG SET...).
    pub redact: u64,
    /// How this command propagates to replicas (see `replication`).
    pub prop: Prop,
}

impl Ctx<'_> {
    #[inline]
    pub fn arg(&self, i: usize) -> &[u8] {
        &self.args[i]
    }

    #[inline]
    pub fn argc(&self) -> usize {
        self.args.len()
    }

    #[inline]
    pub fn db(&self) -> usize {
        self.client.db
    }

    pub fn int_arg(&self, i: usize) -> Result<i64, CmdError> {
        crate::util::string2ll(&self.args[i]).ok_or(CmdError::from(ERR_NOT_INT))
    }

    /// Case-insensitive comparison of argument `i` with an option name.
    #[inline]
    pub fn arg_is(&self, i: usize, opt: &str) -> bool {
        self.args[i].eq_ignore_ascii_case(opt.as_bytes())
    }

    /// Raises a keyspace event on `key` in the client's database.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        let db = self.client.db;
        self.st.ks.event(class, event, db, key);
    }

    /// Marks the keyspace as changed by `n` writes (dirty counter for saves).
    pub fn dirty(&mut self, n: u64) {
        self.st.ks.dirty += n;
    }

    /// Whether writes are being propagated (a replica attached once): a
    /// handler builds a rewritten form only then.
    #[inline]
    pub fn replicating(&self) -> bool {
        self.st.repl.active()
    }

    /// rewriteClientCommandVector: propagate `argv` instead of the command's
    /// own arguments (if it changed the dataset). `argv` is built only while
    /// replicating.
    #[inline]
    pub fn propagate_as(&mut self, argv: impl FnOnce() -> Vec<Bytes>) {
        if self.replicating() {
            self.prop = Prop::As(argv());
        }
    }

    /// alsoPropagate: one more op after what the command propagated so far;
    /// the command's own argv is then not propagated.
    pub fn also_propagate(&mut self, argv: Vec<Bytes>) {
        let db = self.client.db;
        crate::replication::also_propagate(self.st, db, argv);
        self.prop = Prop::Never;
    }

    /// forceCommandPropagation: propagate even if nothing changed.
    pub fn force_propagation(&mut self) {
        self.prop = Prop::Force;
    }
}

/// A number as an argument of a propagated command.
pub fn int_arg_bytes(n: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(n).as_bytes())
}

fn table_index() -> &'static HashMap<&'static str, &'static Command> {
    static IDX: OnceLock<HashMap<&'static str, &'static Command>> = OnceLock::new();
    IDX.get_or_init(|| commands().iter().map(|c| (c.name, *c)).collect())
}

/// Finds a top-level command by name, case-insensitively, without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let lower = std::str::from_utf8(&buf[..name.len()]).ok()?;
    table_index().get(lower).copied()
}

/// The name Redis uses in messages and stats: "get", or "config|get".
pub fn full_name(parent: Option<&Command>, cmd: &Command) -> String {
    match parent {
        Some(p) => format!("{}|{}", p.name, cmd.name),
        None => cmd.name.to_string(),
    }
}

fn stat_name(parent: Option<&'static Command>, cmd: &'static Command) -> &'static str {
    static NAMES: OnceLock<HashMap<(usize, usize), &'static str>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let mut m = HashMap::new();
        for &c in commands().iter() {
            m.insert((c as *const Command as usize, 0), c.name);
            for s in c.subcommands {
                let n: &'static str = Box::leak(full_name(Some(c), s).into_boxed_str());
                m.insert(
                    (c as *const Command as usize, s as *const Command as usize),
                    n,
                );
            }
        }
        m
    });
    let key = match parent {
        Some(p) => (p as *const Command as usize, cmd as *const Command as usize),
        None => (cmd as *const Command as usize, 0),
    };
    names.get(&key).copied().unwrap_or(cmd.name)
}

/// rejectCommand: an error before the handler runs. It marks a transaction
/// being queued as failed; a rejected EXEC discards the transaction at once.
fn reject(
    st: &mut State,
    client: &mut Client,
    args: &[Bytes],
    out: &mut Reply,
    stat: Option<&'static str>,
    msg: &[u8],
) {
    tx::flag(client);
    let abort;
    let msg = if stat == Some("exec") {
        tx::discard_transaction(st, client);
        if !st.monitors.is_empty() {
            // execCommandAbort: MONITOR still sees the EXEC that ended it.
            feed_monitors(st, client, args);
        }
        let mut m = b"EXECABORT Transaction discarded because of: ".to_vec();
        m.extend_from_slice(msg.strip_prefix(b"ERR ").unwrap_or(msg));
        abort = m;
        &abort[..]
    } else {
        msg
    };
    out.error_bytes(msg);
    st.stats.count_error(&String::from_utf8_lossy(msg));
    if let Some(name) = stat {
        st.stats.cmd.entry(name).or_default().rejected_calls += 1;
    }
}

/// An argument as Redis prints it into an error with '%.128s': raw bytes, cut
/// at the first NUL and at `max` bytes (newlines become spaces when the error
/// line is written).
pub fn printable(b: &[u8], max: usize) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len()).min(max);
    &b[..end]
}

/// Time for one batch of commands run under one lock acquisition: the wall
/// clock is read once per batch and the monotonic clock once per command (a
/// command's end is the next one's start), since clock reads showed up in
/// profiles of pipelined load.
pub struct BatchClock {
    wall_ms: i64,
    base: Instant,
    last: Instant,
}

impl BatchClock {
    pub fn new() -> Self {
        let now = Instant::now();
        BatchClock {
            wall_ms: crate::util::now_ms(),
            base: now,
            last: now,
        }
    }

    fn now_ms(&self) -> i64 {
        self.wall_ms + self.last.duration_since(self.base).as_millis() as i64
    }

    /// Microseconds since the previous lap (the running command's duration).
    fn lap(&mut self) -> u64 {
        let now = Instant::now();
        let d = now.duration_since(self.last);
        self.last = now;
        d.as_micros() as u64
    }
}

impl Default for BatchClock {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs one command through the dispatch gate.
pub fn execute(
    server: &Server,
    st: &mut State,
    client: &mut Client,
    args: &[Bytes],
    out: &mut Reply,
    clock: &mut BatchClock,
) -> Flow {
    st.ks.now_ms = clock.now_ms();
    let reply_start = out.buf.len();
    if client.reply_mode == ReplyMode::SkipNext {
        client.reply_mode = ReplyMode::Skipping;
    }
    let flow = dispatch(server, st, client, args, out, clock);
    crate::replication::propagate_removed(st);
    // processCommand: clients blocked on keys this command made ready are
    // served right after it (after the whole transaction for EXEC).
    if st.ks.blocking.has_ready() {
        blocking::serve_ready(st);
    }
    // Events of the command (also of one the gate rejected after evicting or
    // expiring keys) and of the pops that served blocked clients.
    pubsub::publish_notifications(st);
    match client.reply_mode {
        ReplyMode::Off => out.buf.truncate(reply_start),
        ReplyMode::Skipping => {
            out.buf.truncate(reply_start);
            client.reply_mode = ReplyMode::On;
        }
        _ => {}
    }
    flow
}

fn dispatch(
    server: &Server,
    st: &mut State,
    client: &mut Client,
    args: &[Bytes],
    out: &mut Reply,
    clock: &mut BatchClock,
) -> Flow {
    let Some(top) = lookup(&args[0]) else {
        let mut tail = Vec::new();
        for a in &args[1..] {
            if tail.len() >= 128 {
                break;
            }
            let room = 128 - tail.len();
            tail.push(b'\'');
            tail.extend_from_slice(printable(a, room));
            tail.extend_from_slice(b"' ");
        }
        let mut msg = b"ERR unknown command '".to_vec();
        msg.extend_from_slice(printable(&args[0], 128));
        msg.extend_from_slice(b"', with args beginning with: ");
        msg.extend_from_slice(&tail);
        reject(st, client, args, out, None, &msg);
        return Flow::Continue;
    };
    let (parent, cmd) = if top.subcommands.is_empty() || args.len() < 2 {
        (None, top)
    } else {
        match top.subcommand(&args[1]) {
            Some(sc) => (Some(top), sc),
            None => {
                let mut msg = b"ERR unknown subcommand '".to_vec();
                msg.extend_from_slice(printable(&args[1], 128));
                msg.extend_from_slice(
                    format!("'. Try {} HELP.", top.name.to_ascii_uppercase()).as_bytes(),
                );
                reject(st, client, args, out, None, &msg);
                return Flow::Continue;
            }
        }
    };
    let name = stat_name(parent, cmd);
    let argc = args.len() as i32;
    if (cmd.arity > 0 && argc != cmd.arity) || argc < -cmd.arity {
        let msg = format!("ERR wrong number of arguments for '{name}' command");
        reject(st, client, args, out, Some(name), msg.as_bytes());
        return Flow::Continue;
    }
    if cmd.is(flags::PROTECTED) || top.is(flags::PROTECTED) {
        use crate::config::Protected;
        let allowed = match st.config.enable_debug_command {
            Protected::Yes => true,
            Protected::Local => client.is_local,
            Protected::No => false,
        };
        if !allowed {
            let msg = format!(
                "ERR {} command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
                top.name.to_ascii_uppercase()
            );
            reject(st, client, args, out, Some(name), msg.as_bytes());
            return Flow::Continue;
        }
    }
    if !client.authenticated && !cmd.is(flags::NO_AUTH) {
        if st.config.requirepass.is_some() {
            reject(st, client, args, out, Some(name), ERR_NOAUTH.as_bytes());
            return Flow::Continue;
        }
        client.authenticated = true;
    }
    if st.persist.loading && !cmd.is(flags::LOADING) {
        let msg = "LOADING Redis is loading the dataset in memory";
        reject(st, client, args, out, Some(name), msg.as_bytes());
        return Flow::Continue;
    }
    if client.multi.is_some() && cmd.is(flags::NO_MULTI) {
        let msg = "ERR Command not allowed inside a transaction";
        reject(st, client, args, out, Some(name), msg.as_bytes());
        return Flow::Continue;
    }
    // Queued and EXEC'd commands count with the flags of the transaction.
    let queued_flags = match &client.multi {
        Some(m) if top.name == "exec" => m.flags,
        _ => 0,
    };
    // Queueing may use any amount of memory, so inside MULTI every command
    // but EXEC/DISCARD/QUIT/RESET is refused when memory is full.
    let denyoom = cmd.is(flags::DENYOOM)
        || queued_flags & flags::DENYOOM != 0
        || (client.multi.is_some() && !matches!(top.name, "exec" | "discard" | "quit" | "reset"));
    if st.config.maxmemory > 0 {
        // Redis evicts before every command; only denyoom ones fail.
        let ok = evict::perform_evictions(st) || !denyoom;
        crate::replication::propagate_removed(st);
        if !ok {
            reject(st, client, args, out, Some(name), ERR_OOM.as_bytes());
            return Flow::Continue;
        }
    }
    // writeCommandsDeniedByDiskError: a failing BGSAVE with save points
    // configured stops writes (and PING) until a save succeeds.
    if st.persist.last_bgsave_failed
        && st.config.stop_writes_on_bgsave_error
        && !st.config.save.is_empty()
        && !st.ks.is_replica
        && (cmd.is(flags::WRITE) || queued_flags & flags::WRITE != 0 || top.name == "ping")
    {
        reject(st, client, args, out, Some(name), ERR_MISCONF.as_bytes());
        return Flow::Continue;
    }
    let is_write = cmd.is(flags::WRITE) || queued_flags & flags::WRITE != 0;
    if is_write && !crate::replication::master::enough_good_replicas(st, st.ks.now_ms) {
        let msg = b"NOREPLICAS Not enough good replicas to write.";
        reject(st, client, args, out, Some(name), msg);
        return Flow::Continue;
    }
    // A read-only replica obeys only its master.
    if is_write && st.ks.is_replica && st.config.replica_read_only && !client.is_master {
        let msg = b"READONLY You can't write against a read only replica.";
        reject(st, client, args, out, Some(name), msg);
        return Flow::Continue;
    }
    if client.pubsub && !out.resp3 && !(parent.is_none() && allowed_when_subscribed(top)) {
        let msg = format!("ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
        reject(st, client, args, out, Some(name), msg.as_bytes());
        return Flow::Continue;
    }
    if st.ks.is_replica
        && !st.repl.serve_stale_data
        && !st.repl.link_up()
        && !cmd.is(flags::STALE)
        && !client.is_master
    {
        let msg =
            b"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
        reject(st, client, args, out, Some(name), msg);
        return Flow::Continue;
    }
    if let Some((until, writes_only)) = st.pause.filter(|_| !client.is_master) {
        if until <= st.ks.now_ms {
            st.pause = None;
            st.ks.expire_paused = false;
            server.unpaused.notify_waiters();
        } else if !writes_only
            || cmd.is(flags::WRITE | flags::MAY_REPLICATE)
            || queued_flags & (flags::WRITE | flags::MAY_REPLICATE) != 0
        {
            // blockPostponeClient: the client shows as blocked in this command
            // (INFO blocked_clients, CLIENT LIST flags=b cmd=...) until the
            // pause ends; the connection clears the flag.
            let mut m = client.shared.meta.lock();
            m.blocked = true;
            m.last_cmd = name;
            return Flow::Postpone;
        }
    }
    if client.multi.is_some()
        && !(parent.is_none() && tx::runs_inside_multi(top))
        && tx::queue(client, cmd, name, args)
    {
        out.simple("QUEUED");
        return Flow::Continue;
    }
    call(server, st, client, cmd, name, args, out, clock)
}

/// Runs a command that passed the gate (or was queued by MULTI): the handler,
/// then stats, slowlog, latency and MONITOR, like Redis's call().
#[allow(clippy::too_many_arguments)]
pub fn call(
    server: &Server,
    st: &mut State,
    client: &mut Client,
    cmd: &'static Command,
    name: &'static str,
    args: &[Bytes],
    out: &mut Reply,
    clock: &mut BatchClock,
) -> Flow {
    let before_errors = st.stats.total_error_replies;
    let dirty_before = st.ks.dirty;
    let mut ctx = Ctx {
        args,
        out,
        st,
        client,
        server,
        cmd,
        flow: Flow::Continue,
        redact: 0,
        prop: Prop::Argv,
    };
    let reply_start = ctx.out.buf.len();
    st_depth(ctx.st, 1);
    let res = (cmd.handler)(&mut ctx);
    st_depth(ctx.st, -1);
    let flow = ctx.flow;
    let redact = ctx.redact;
    let prop = std::mem::replace(&mut ctx.prop, Prop::Argv);
    // EXEC propagates only through the commands it ran.
    let prop = if st.repl.active() && cmd.name == "exec" {
        Prop::Never
    } else {
        prop
    };
    pubsub::publish_notifications(st);
    if client.pubsub {
        own_pushes_first(client, out, reply_start);
    }
    if st.ks.watch.has_pending() {
        let changed = st.ks.dirty != dirty_before;
        st.ks.commit_watch(changed);
    }
    if let Err(e) = res {
        out.error_bytes(&e.0);
        st.stats.count_error(&String::from_utf8_lossy(&e.0));
    }
    let dur_us = clock.lap();

    // A command that blocked counts as a call now; its latency, SLOWLOG and
    // latency-monitor entries come when it is unblocked (blocking::finish).
    let blocked = flow == Flow::Block;
    let failed = st.stats.total_error_replies != before_errors;
    let stat = st.stats.cmd.entry(name).or_default();
    stat.calls += 1;
    stat.usec += dur_us;
    // One histogram in Redis, only fed while latency-tracking is on.
    if st.config.latency_tracking && !blocked {
        stat.latency.record(dur_us);
        stat.hdr
            .get_or_insert_with(Default::default)
            .record(dur_us * 1000);
    }
    if failed {
        stat.failed_calls += 1;
    }
    st.stats.total_commands_processed += 1;

    let slower = st.config.slowlog_log_slower_than;
    if !blocked && slower >= 0 && dur_us >= slower as u64 && !cmd.is(flags::SKIP_SLOWLOG) {
        let meta_name = client.shared.meta.lock().name.clone();
        let max = st.config.slowlog_max_len as usize;
        if redact == 0 {
            st.slowlog
                .push(args, dur_us, &client.shared.addr, &meta_name, max);
        } else {
            let shown: Vec<Bytes> = args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    if i < 64 && redact & (1 << i) != 0 {
                        Bytes::from_static(b"(redacted)")
                    } else {
                        a.clone()
                    }
                })
                .collect();
            st.slowlog
                .push(&shown, dur_us, &client.shared.addr, &meta_name, max);
        }
    }
    let threshold = st.config.latency_monitor_threshold;
    if !blocked && threshold > 0 && dur_us / 1000 >= threshold as u64 {
        let event = if cmd.is(flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        st.latency.add(event, dur_us / 1000);
    }
    if !st.monitors.is_empty() && !cmd.is(flags::SKIP_MONITOR) && !cmd.is(flags::ADMIN) {
        feed_monitors(st, client, args);
    }
    {
        let mut m = client.shared.meta.lock();
        m.last_cmd = name;
        m.db = client.db;
    }
    client
        .shared
        .last_interaction_ms
        .store(st.ks.now_ms, std::sync::atomic::Ordering::Relaxed);
    // SAVE resets the counter: only a rise counts, as in Redis's call().
    let changed = st.ks.dirty > dirty_before;
    if crate::replication::after_call(st, client.db, args, prop, changed) {
        client.woff = st.repl.offset;
    }
    flow
}

fn st_depth(st: &mut State, d: i32) {
    st.repl.depth = (st.repl.depth as i32 + d).max(0) as u32;
}

/// The commands a RESP2 client in subscribed mode may run.
fn allowed_when_subscribed(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Messages a subscriber published to itself (or keyspace events its own
/// command raised) go before the command's reply, as Redis writes them into
/// the reply buffer while the command runs.
fn own_pushes_first(client: &Client, out: &mut Reply, reply_start: usize) {
    let mut p = client.shared.pending.lock();
    if p.is_empty() {
        return;
    }
    let reply = out.buf.split_off(reply_start);
    out.buf.extend_from_slice(&p);
    out.buf.unsplit(reply);
    p.clear();
}

/// Sends a MONITOR line: `+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`.
fn feed_monitors(st: &mut State, client: &Client, args: &[Bytes]) {
    let us = crate::util::now_us();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        us / 1_000_000,
        us % 1_000_000,
        client.db,
        client.shared.addr
    )
    .into_bytes();
    for a in args {
        line.extend_from_slice(b" \"");
        line.extend_from_slice(&repr(a));
        line.push(b'"');
    }
    line.extend_from_slice(b"\r\n");
    st.monitors.retain(|m| !m.is_killed());
    for m in &st.monitors {
        m.push_output(&line);
    }
}

/// Escapes bytes like sdscatrepr (without the surrounding quotes).
pub fn repr(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for &c in b {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c),
            c => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out
}
