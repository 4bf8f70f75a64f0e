//! Replication: what this node propagates and to whom.
//!
//! Propagation follows Redis 7.0's call()/alsoPropagate model. A command that
//! changed the dataset (the dirty counter moved) propagates its argv, or the
//! form its handler chose (`Ctx::propagate_as`: SET EX -> SET PXAT, EXPIRE ->
//! PEXPIREAT, INCRBYFLOAT -> SET KEEPTTL...); keys the keyspace expired or
//! evicted while it ran propagate as DEL (UNLINK with lazyfree). The ops of
//! one execution unit (a command, or a whole EXEC) are collected and, when
//! there are several, wrapped in MULTI/EXEC; SELECT goes before whenever the
//! stream's database changes. Everything lands in the [`backlog::Backlog`],
//! under the keyspace lock, so the stream has the keyspace's total order.
//!
//! Blocking commands (BLPOP, BLMOVE, BZPOPMIN...) served after blocking must
//! propagate their non-blocking form: the code that serves them calls
//! `Ctx::propagate_as` (LPOP key / LMOVE ... / ZPOPMIN key) like LMPOP does.
//!
//! Nothing is recorded until the first replica attaches and creates the
//! backlog, as in Redis, so a node without replicas pays one branch per write.

pub mod backlog;
pub mod handshake;
pub mod master;
pub mod replica;

use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::server::State;
use crate::store::db::Removed;
use backlog::Backlog;

/// How the running command propagates (set by its handler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prop {
    /// Its argv, if it changed the dataset.
    Argv,
    /// Nothing of its own (it used `also_propagate`, or must not replicate).
    Never,
    /// Its argv even if nothing changed (PUBLISH, FLUSHDB on an empty db).
    Force,
    /// This form instead of its argv, if it changed the dataset.
    As(Vec<Bytes>),
}

pub struct Repl {
    /// Names the history of this dataset (40 hex characters).
    pub replid: String,
    /// The previous history, valid up to `second_replid_offset - 1`.
    pub replid2: String,
    pub second_replid_offset: i64,
    /// master_repl_offset: bytes of stream produced (or applied, on a replica).
    pub offset: i64,
    /// Created when the first replica attaches.
    pub backlog: Option<Arc<Mutex<Backlog>>>,
    /// The database the stream last SELECTed (-1: none yet).
    seldb: i64,
    /// Ops of the running execution unit: (db, argv).
    pending: Vec<(usize, Vec<Bytes>)>,
    /// Nesting of call() (EXEC runs its commands through call()).
    pub depth: u32,
    /// Replicas attached to this node (master side).
    pub replicas: Vec<Arc<master::ReplicaLink>>,
    /// Wakes clients blocked in WAIT when an ACK arrives.
    pub acks: Arc<tokio::sync::Notify>,
    /// Unix ms of the last PING propagated to replicas.
    pub last_ping_ms: i64,
    /// Full syncs served (INFO stats sync_full).
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// min-replicas-to-write and min-replicas-max-lag, cached for the gate.
    pub min_to_write: i64,
    pub min_max_lag: i64,
    /// This node's master (REPLICAOF), if it is a replica.
    pub master: Option<replica::MasterLink>,
    /// Bumped by every REPLICAOF: stops the previous link task.
    pub link_gen: u64,
    /// The database the master client has selected (kept across links).
    pub master_db: usize,
    /// Set while the master's stream is being applied: the commands'
    /// bytes are proxied verbatim instead of propagated.
    pub applying_master: bool,
    /// replica-serve-stale-data, cached for the gate.
    pub serve_stale_data: bool,
    /// Our offset names a point of a master's history (synced once, or a
    /// master turned replica): ROLE shows it instead of -1.
    pub has_master_history: bool,
}

impl Default for Repl {
    fn default() -> Self {
        Repl {
            replid: new_replid(),
            replid2: "0".repeat(40),
            second_replid_offset: -1,
            offset: 0,
            backlog: None,
            seldb: -1,
            pending: Vec::new(),
            depth: 0,
            replicas: Vec::new(),
            acks: Default::default(),
            last_ping_ms: 0,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            min_to_write: 0,
            min_max_lag: 10,
            master: None,
            link_gen: 0,
            master_db: 0,
            applying_master: false,
            serve_stale_data: true,
            has_master_history: false,
        }
    }
}

/// 40 random lowercase hex characters.
pub fn new_replid() -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(40);
    for _ in 0..20 {
        let _ = write!(s, "{:02x}", rand::random::<u8>());
    }
    s
}

impl Repl {
    /// Whether this node's own writes are recorded: a backlog exists and
    /// this is a master (a replica only relays its master's stream; writes
    /// to a writable replica stay local, as in Redis).
    #[inline]
    pub fn active(&self) -> bool {
        self.backlog.is_some() && self.master.is_none()
    }

    /// Whether the link to our master is up (false on a master).
    pub fn link_up(&self) -> bool {
        self.master
            .as_ref()
            .is_some_and(|m| m.state == replica::LinkState::Connected)
    }

    /// A fresh history: new replid, no replid2 (first replica, full sync).
    pub fn change_replid(&mut self) {
        self.replid = new_replid();
        self.replid2 = "0".repeat(40);
        self.second_replid_offset = -1;
    }

    /// Forces a SELECT before the next op (new full sync, promotion).
    pub fn reset_seldb(&mut self) {
        self.seldb = -1;
    }

    /// The database the stream is on, for a full sync's repl-stream-db.
    pub fn stream_db(&self) -> i64 {
        self.seldb.max(0)
    }
}

/// The replication AUX fields of an RDB this node saves: a replica's
/// master history (its stream db), or a master's own once it has a backlog.
pub fn save_info(st: &State) -> crate::rdb::Aux {
    let mut aux = crate::rdb::Aux::default();
    if st.repl.master.is_some() && st.repl.has_master_history {
        aux.repl_stream_db = st.repl.master_db as i64;
    } else if st.repl.active() {
        aux.repl_stream_db = st.repl.stream_db();
    } else {
        return aux;
    }
    aux.repl_id = st.repl.replid.clone();
    aux.repl_offset = st.repl.offset;
    aux
}

/// At startup, a node configured as a replica takes the history saved in
/// its RDB as its own, to PSYNC <replid> <offset+1> with its master. A master
/// keeps it as its previous history (replid2, up to the saved offset) with an
/// empty backlog there, so its replicas continue partially after its restart,
/// as Redis 7.0 does.
pub fn restore_from_rdb(st: &mut State, aux: &crate::rdb::Aux) {
    if aux.repl_id.len() != 40 || aux.repl_offset < 0 {
        return;
    }
    if st.config.replicaof.is_empty() {
        st.repl.replid2 = aux.repl_id.clone();
        st.repl.second_replid_offset = aux.repl_offset + 1;
        st.repl.offset = aux.repl_offset;
        st.repl.seldb = -1;
        let b = Backlog::new(
            st.repl.offset,
            master::backlog_size(st),
            master::replica_hard_limit(st),
        );
        st.repl.backlog = Some(Arc::new(Mutex::new(b)));
        tracing::info!(
            "Replication history {} up to offset {} restored from the RDB",
            st.repl.replid2,
            st.repl.offset
        );
        return;
    }
    st.repl.replid = aux.repl_id.clone();
    st.repl.offset = aux.repl_offset;
    st.repl.master_db = aux.repl_stream_db.clamp(0, st.ks.dbs.len() as i64 - 1) as usize;
    st.repl.has_master_history = true;
    tracing::info!(
        "Loaded replication info from the RDB: {}:{}",
        st.repl.replid,
        st.repl.offset
    );
}

/// Caches the settings the hot path reads and resizes the backlog (startup
/// and CONFIG SET).
pub fn apply_config(st: &mut State) {
    let num = |name: &str, d: i64| {
        st.config
            .inert
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    st.repl.min_to_write = num("min-replicas-to-write", 0);
    st.repl.min_max_lag = num("min-replicas-max-lag", 10);
    st.repl.serve_stale_data = st
        .config
        .inert
        .get("replica-serve-stale-data")
        .is_none_or(|v| v == "yes");
    let size = master::backlog_size(st);
    if let Some(b) = &st.repl.backlog {
        b.lock().resize(size);
    }
}

/// A replica relays its master's stream: the command just applied goes to
/// its backlog and sub-replicas byte for byte (re-encoded: a master's stream
/// is canonical multibulk), and the offset advances by what was consumed.
pub fn feed_raw(st: &mut State, argv: &[Bytes], consumed: i64) {
    let mut buf = Vec::with_capacity(consumed.max(0) as usize);
    encode(&mut buf, argv);
    if buf.len() as i64 != consumed {
        tracing::warn!(
            "master stream command not in canonical form ({consumed} bytes read, {} relayed)",
            buf.len()
        );
    }
    match st.repl.backlog.clone() {
        Some(b) => {
            let mut b = b.lock();
            b.append(&buf);
            st.repl.offset = b.end();
        }
        None => st.repl.offset += buf.len() as i64,
    }
    for r in &st.repl.replicas {
        r.notify.notify_one();
    }
}

/// Appends one encoded op to the stream. `db` None: no SELECT (PING, EXEC).
fn feed(st: &mut State, db: Option<usize>, argv: &[Bytes]) {
    let Some(backlog) = st.repl.backlog.clone() else {
        return;
    };
    let mut buf = Vec::with_capacity(64);
    if let Some(db) = db {
        if st.repl.seldb != db as i64 {
            let n = db.to_string();
            encode(&mut buf, &[b"SELECT", n.as_bytes()]);
            st.repl.seldb = db as i64;
        }
    }
    encode(&mut buf, argv);
    let mut b = backlog.lock();
    b.append(&buf);
    st.repl.offset = b.end();
    let dropped = std::mem::take(&mut b.dropped);
    drop(b);
    for id in dropped {
        // Its sender may be stuck writing to a replica that does not read.
        tracing::warn!(
            "Client id={id} scheduled to be closed ASAP for overcoming of output buffer limits."
        );
        if let Some(c) = st.clients.get(&id) {
            c.kill();
        }
    }
    for r in &st.repl.replicas {
        r.notify.notify_one();
    }
}

/// Feeds a command made of static words (PING, MULTI, GETACK).
pub fn feed_static(st: &mut State, db: Option<usize>, words: &[&'static [u8]]) {
    let argv: Vec<Bytes> = words.iter().map(|w| Bytes::from_static(w)).collect();
    feed(st, db, &argv);
}

/// RESP multibulk encoding of a command.
pub fn encode<A: AsRef<[u8]>>(buf: &mut Vec<u8>, argv: &[A]) {
    let mut n = itoa::Buffer::new();
    buf.push(b'*');
    buf.extend_from_slice(n.format(argv.len()).as_bytes());
    buf.extend_from_slice(b"\r\n");
    for a in argv {
        let a = a.as_ref();
        buf.push(b'$');
        buf.extend_from_slice(n.format(a.len()).as_bytes());
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

/// `DEL`, or `UNLINK` when the lazyfree `setting` is on.
pub fn del_word(st: &State, setting: &str) -> Bytes {
    if st.config.inert.get(setting).is_some_and(|v| v == "yes") {
        Bytes::from_static(b"UNLINK")
    } else {
        Bytes::from_static(b"DEL")
    }
}

/// The DEL (or UNLINK with lazyfree) for a key the keyspace removed.
fn removal_op(st: &State, r: Removed) -> (usize, Vec<Bytes>) {
    let (db, key, setting) = match r {
        Removed::Expired { db, key } => (db, key, "lazyfree-lazy-expire"),
        Removed::Evicted { db, key } => (db, key, "lazyfree-lazy-eviction"),
    };
    let lazy = st.config.inert.get(setting).is_some_and(|v| v == "yes");
    let cmd: &'static [u8] = if lazy { b"UNLINK" } else { b"DEL" };
    (
        db,
        vec![Bytes::from_static(cmd), Bytes::copy_from_slice(&key)],
    )
}

/// Moves the keys removed so far into the running unit's ops.
fn collect_removed(st: &mut State) {
    if st.ks.removed.is_empty() {
        return;
    }
    let removed = std::mem::take(&mut st.ks.removed);
    for r in removed {
        let op = removal_op(st, r);
        st.repl.pending.push(op);
    }
}

/// Keys expired or evicted outside a command (cron, eviction before a
/// command runs): each is its own op, as Redis propagates them one by one.
pub fn propagate_removed(st: &mut State) {
    if st.ks.removed.is_empty() {
        return;
    }
    if !st.repl.active() {
        st.ks.removed.clear();
        return;
    }
    let removed = std::mem::take(&mut st.ks.removed);
    for r in removed {
        let (db, argv) = removal_op(st, r);
        feed(st, Some(db), &argv);
    }
}

/// alsoPropagate: an extra op of the running command, in order with the
/// keys it expired so far.
pub fn also_propagate(st: &mut State, db: usize, argv: Vec<Bytes>) {
    if !st.repl.active() {
        return;
    }
    collect_removed(st);
    st.repl.pending.push((db, argv));
}

/// An execution unit of its own outside any command: a blocked client
/// served after the command that made its key ready (serveClientBlockedOn*).
pub fn propagate_unit(st: &mut State, db: usize, argv: Vec<Bytes>) {
    if !st.repl.active() {
        st.ks.removed.clear();
        return;
    }
    collect_removed(st);
    st.repl.pending.push((db, argv));
    flush(st);
}

/// `LPOP key [count]` and the like: the non-blocking form of a pop.
pub fn pop_argv(word: &'static [u8], key: &[u8], count: Option<usize>) -> Vec<Bytes> {
    let mut v = vec![Bytes::from_static(word), Bytes::copy_from_slice(key)];
    if let Some(n) = count {
        v.push(crate::commands::int_arg_bytes(n as i64));
    }
    v
}

/// After a command ran in call(): record its op, and at the end of an
/// execution unit write the unit's ops to the stream. Returns whether the
/// unit wrote anything (the client's WAIT target moves).
pub fn after_call(st: &mut State, db: usize, argv: &[Bytes], prop: Prop, changed: bool) -> bool {
    if !st.repl.active() || st.repl.applying_master {
        st.repl.pending.clear();
        st.ks.removed.clear();
        return false;
    }
    collect_removed(st);
    let own = match prop {
        Prop::Argv if changed => Some(argv.to_vec()),
        Prop::Force => Some(argv.to_vec()),
        Prop::As(v) if changed => Some(v),
        _ => None,
    };
    if st.repl.depth > 0 {
        if let Some(v) = own {
            st.repl.pending.push((db, v));
        }
        return false;
    }
    // The common case, one op and nothing pending: no copy into `pending`.
    if st.repl.pending.is_empty() {
        return match own {
            Some(v) => {
                feed(st, Some(db), &v);
                true
            }
            None => false,
        };
    }
    if let Some(v) = own {
        st.repl.pending.push((db, v));
    }
    flush(st);
    true
}

/// propagatePendingCommands: several ops are wrapped in MULTI/EXEC, with the
/// SELECT for the first op's database before the MULTI.
fn flush(st: &mut State) {
    let ops = std::mem::take(&mut st.repl.pending);
    let wrap = ops.len() > 1;
    if wrap {
        feed_static(st, Some(ops[0].0), &[b"MULTI"]);
    }
    for (db, argv) in &ops {
        feed(st, Some(*db), argv);
    }
    if wrap {
        feed_static(st, None, &[b"EXEC"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_multibulk() {
        let mut b = Vec::new();
        encode(&mut b, &[&b"SET"[..], b"k", b""]);
        assert_eq!(b, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }

    #[test]
    fn replids_are_40_hex() {
        let id = new_replid();
        assert_eq!(id.len(), 40);
        assert!(id
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(id, new_replid());
    }
}
