//! Client state. [`Client`] is owned by the connection task; [`ClientShared`] is
//! the part other clients see or act on (CLIENT LIST/KILL, pub/sub delivery).

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use parking_lot::Mutex;
use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Set while executing the command whose reply is skipped.
    Skipping,
}

/// What CLIENT LIST/INFO print about a client, updated by its connection.
#[derive(Debug, Clone)]
pub struct ClientMeta {
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub db: usize,
    pub resp: u8,
    pub last_cmd: &'static str,
    pub multi: i64,
    pub sub: usize,
    pub psub: usize,
    pub ssub: usize,
    pub qbuf: usize,
    pub qbuf_free: usize,
    pub obl: usize,
    pub omem: usize,
    pub tot_mem: usize,
    pub argv_mem: usize,
    pub user: &'static str,
    pub monitor: bool,
    pub no_evict: bool,
    pub no_touch: bool,
    pub reply_off: bool,
    pub blocked: bool,
    pub authenticated: bool,
    /// A watched key changed: the next EXEC fails (flag 'd'). Refreshed by
    /// CLIENT LIST/INFO from the keyspace's watch table.
    pub dirty_cas: bool,
    /// The connection serves a replica (flag 'S').
    pub replica: bool,
    /// This is our master's link (flag 'M').
    pub master: bool,
}

pub struct ClientShared {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    pub created: Instant,
    pub last_interaction_ms: AtomicI64,
    pub meta: Mutex<ClientMeta>,
    /// Set by CLIENT KILL (or server shutdown); the connection closes on wake-up.
    pub killed: AtomicBool,
    /// Output pushed by other clients (pub/sub messages, MONITOR lines).
    pub pending: Mutex<BytesMut>,
    pub notify: Notify,
    /// Wakes a connection blocked writing to a client that does not read.
    pub killed_notify: Notify,
    pub net_in: AtomicU64,
    pub net_out: AtomicU64,
}

impl ClientShared {
    pub fn new(id: u64, addr: String, laddr: String, fd: i64) -> Arc<Self> {
        Arc::new(ClientShared {
            id,
            addr,
            laddr,
            fd,
            created: Instant::now(),
            last_interaction_ms: AtomicI64::new(crate::util::now_ms()),
            meta: Mutex::new(ClientMeta {
                name: Vec::new(),
                lib_name: Vec::new(),
                lib_ver: Vec::new(),
                db: 0,
                resp: 2,
                last_cmd: "NULL",
                multi: -1,
                sub: 0,
                psub: 0,
                ssub: 0,
                qbuf: 0,
                qbuf_free: 0,
                obl: 0,
                omem: 0,
                tot_mem: 0,
                argv_mem: 0,
                user: "default",
                monitor: false,
                no_evict: false,
                no_touch: false,
                reply_off: false,
                blocked: false,
                authenticated: false,
                dirty_cas: false,
                replica: false,
                master: false,
            }),
            killed: AtomicBool::new(false),
            pending: Mutex::new(BytesMut::new()),
            notify: Notify::new(),
            killed_notify: Notify::new(),
            net_in: AtomicU64::new(0),
            net_out: AtomicU64::new(0),
        })
    }

    /// Marks the client for closing and wakes its connection task.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        self.notify.notify_one();
        self.killed_notify.notify_one();
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// Queues bytes for this client from another task and wakes it.
    pub fn push_output(&self, bytes: &[u8]) {
        self.pending.lock().extend_from_slice(bytes);
        self.notify.notify_one();
    }
}

/// The connection-owned state of one client.
pub struct Client {
    pub id: u64,
    pub shared: Arc<ClientShared>,
    pub db: usize,
    pub authenticated: bool,
    pub reply_mode: ReplyMode,
    pub close_after_reply: bool,
    /// The peer is on a loopback address (enable-debug-command local).
    pub is_local: bool,
    pub monitor: bool,
    /// Subscribed to any channel, pattern or shard channel (Redis's
    /// CLIENT_PUBSUB): in RESP2 only the pub/sub commands are allowed then.
    pub pubsub: bool,
    /// Set while EXEC runs the queued commands (CLIENT_DENY_BLOCKING).
    pub deny_blocking: bool,
    /// Set between MULTI and EXEC/DISCARD: the queued commands.
    pub multi: Option<Box<crate::commands::tx::MultiState>>,
    /// The replication offset right after this client's last write (WAIT).
    pub woff: i64,
    /// The master's link applying its stream: obeyed even on a read-only
    /// replica, never answered.
    pub is_master: bool,
    /// What a replica said with REPLCONF before its PSYNC.
    pub replconf: crate::replication::master::ReplConf,
    /// Set by PSYNC/SYNC: the connection becomes a replica link.
    pub replica_start: Option<crate::replication::master::SyncStart>,
}

impl Client {
    pub fn new(shared: Arc<ClientShared>, authenticated: bool, is_local: bool) -> Self {
        Client {
            id: shared.id,
            shared,
            db: 0,
            authenticated,
            reply_mode: ReplyMode::On,
            close_after_reply: false,
            is_local,
            monitor: false,
            pubsub: false,
            deny_blocking: false,
            multi: None,
            woff: 0,
            is_master: false,
            replconf: Default::default(),
            replica_start: None,
        }
    }
}
