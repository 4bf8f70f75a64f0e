//! The server: shared state behind one lock, the listeners, the cron.
//!
//! Connection tasks do I/O, parsing and reply encoding on tokio's runtime; a
//! command runs with the [`State`] lock held and never awaits while holding it.
//! One lock gives the single total order that replication and MULTI need.

pub mod client;
mod conn;
mod cron;
pub mod persist;
pub mod stats;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::Config;
use crate::store::db::Keyspace;
use client::ClientShared;
pub use stats::{SlowLog, Stats};

/// Everything commands read and write, guarded by [`Server::state`].
pub struct State {
    pub ks: Keyspace,
    pub config: Config,
    pub stats: Stats,
    pub clients: BTreeMap<u64, Arc<ClientShared>>,
    pub slowlog: SlowLog,
    pub latency: stats::Latency,
    /// Clients in MONITOR mode.
    pub monitors: Vec<Arc<ClientShared>>,
    /// CLIENT PAUSE: until when (ms), and whether only writes are paused.
    pub pause: Option<(i64, bool)>,
    /// Unix time (s) of the last successful save (LASTSAVE).
    pub lastsave: i64,
    /// Pub/sub subscriptions of every client.
    pub pubsub: crate::commands::pubsub::registry::PubSub,
    /// Replication: ids, offsets, the backlog, attached replicas.
    pub repl: crate::replication::Repl,
    /// Clients blocked in BLPOP, BZPOPMIN...
    pub blocked: crate::commands::blocking::BlockedClients,
    /// RDB saving and loading state.
    pub persist: persist::Persistence,
}

pub struct Server {
    pub state: Mutex<State>,
    pub started: Instant,
    pub start_unix_ms: i64,
    pub run_id: String,
    pub next_client_id: AtomicU64,
    /// Ports actually bound (the configured port may be 0 in tests).
    pub port: AtomicU64,
    pub shutdown: Notify,
    pub shutting_down: AtomicBool,
    /// The process exit status once serving ends (non-zero after a failed load).
    pub exit_code: std::sync::atomic::AtomicI32,
    pub config_file: Option<std::path::PathBuf>,
    pub executable: String,
    /// Wakes clients waiting for CLIENT PAUSE to end.
    pub unpaused: Notify,
    /// Bytes allocated once the server was set up (MEMORY STATS startup.allocated).
    pub startup_allocated: usize,
    /// The running accept loops, replaced when CONFIG SET port/bind rebinds.
    pub accept_tasks: parking_lot::Mutex<Vec<tokio::task::AbortHandle>>,
    /// The listening sockets: the only strong references, so dropping them
    /// closes the sockets at once (accept loops hold weak ones between polls).
    pub listeners: parking_lot::Mutex<Vec<Arc<TcpListener>>>,
    /// This server's own Arc, for tasks spawned from a command (rebinding).
    pub me: std::sync::Weak<Server>,
}

impl Server {
    pub fn new(config: Config, config_file: Option<std::path::PathBuf>) -> Arc<Self> {
        let mut ks = Keyspace::new(config.databases as usize);
        ks.clock = clock_for(&config);
        ks.notify.flags = crate::store::notify::effective_flags(config.notify_keyspace_flags);
        let run_id: String = (0..40)
            .map(|_| format!("{:x}", rand::random::<u8>() & 0xf))
            .collect();
        let now = crate::util::now_ms();
        let server = Arc::new_cyclic(|me| Server {
            accept_tasks: parking_lot::Mutex::new(Vec::new()),
            listeners: parking_lot::Mutex::new(Vec::new()),
            me: me.clone(),
            state: Mutex::new(State {
                ks,
                slowlog: SlowLog::default(),
                latency: stats::Latency::default(),
                stats: Stats::default(),
                clients: BTreeMap::new(),
                monitors: Vec::new(),
                pause: None,
                lastsave: now / 1000,
                pubsub: Default::default(),
                repl: Default::default(),
                blocked: Default::default(),
                persist: Default::default(),
                config,
            }),
            started: Instant::now(),
            start_unix_ms: now,
            run_id,
            next_client_id: AtomicU64::new(1),
            port: AtomicU64::new(0),
            shutdown: Notify::new(),
            shutting_down: AtomicBool::new(false),
            exit_code: std::sync::atomic::AtomicI32::new(0),
            config_file,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            unpaused: Notify::new(),
            startup_allocated: crate::used_memory(),
        });
        crate::replication::apply_config(&mut server.state.lock());
        server
    }

    pub fn request_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.shutdown.notify_waiters();
        self.shutdown.notify_one();
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// The keyspace's access clock follows maxmemory-policy (LFU or LRU).
pub fn clock_for(c: &Config) -> crate::store::db::Clock {
    if c.maxmemory_policy.is_lfu() {
        crate::store::db::Clock::Lfu {
            log_factor: c.lfu_log_factor as u32,
            decay_minutes: c.lfu_decay_time as u32,
        }
    } else {
        crate::store::db::Clock::Lru
    }
}

/// Binds the configured addresses (startup and CONFIG SET port/bind). Entries
/// written `-addr` may fail (redis.conf's `-::*` when IPv6 or the dual-stack
/// port is unavailable). Needs a tokio runtime context.
pub fn bind(config: &Config) -> std::io::Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    for addr in &config.bind {
        let (optional, addr) = match addr.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, addr.as_str()),
        };
        let host = match addr {
            "*" => "0.0.0.0",
            "::*" => "::",
            a => a,
        };
        let target = if host.contains(':') {
            format!("[{host}]:{}", config.port)
        } else {
            format!("{host}:{}", config.port)
        };
        // std sets SO_REUSEADDR on Unix listeners, as redis-server does.
        let bound = std::net::TcpListener::bind(&target).and_then(|l| {
            l.set_nonblocking(true)?;
            TcpListener::from_std(l)
        });
        match bound {
            Ok(l) => out.push(l),
            Err(e) if optional => tracing::debug!("skipping optional bind {addr}: {e}"),
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("Could not create server TCP listening socket {target}: {e}"),
                ))
            }
        }
    }
    Ok(out)
}

/// Serves until SHUTDOWN or `stop` resolves.
pub async fn serve(server: Arc<Server>, listeners: Vec<TcpListener>) {
    if let Some(l) = listeners.first() {
        if let Ok(a) = l.local_addr() {
            server.port.store(a.port() as u64, Ordering::Relaxed);
        }
    }
    // The loading flag is up before the first client can connect: until the
    // dataset is in, commands without the `loading` flag get -LOADING.
    let has_rdb = {
        let mut st = server.state.lock();
        let exists = persist::rdb_path(&st).exists();
        st.persist.loading = exists;
        // A configured replica keeps expired keys for its master's DELs.
        st.ks.is_replica = !st.config.replicaof.is_empty();
        exists
    };
    start_accepting(&server, listeners);
    if has_rdb {
        // The replica link starts once the data (and the replication info
        // saved with it) is in.
        let s = server.clone();
        tokio::spawn(async move {
            persist::load_at_startup(s.clone()).await;
            crate::replication::replica::start_from_config(&s);
        });
    } else {
        crate::replication::replica::start_from_config(&server);
    }
    tokio::spawn(cron::run(server.clone()));
    tracing::info!("Ready to accept connections");
    while !server.shutting_down.load(Ordering::SeqCst) {
        server.shutdown.notified().await;
    }
}

/// Replaces the accept loops with loops over `listeners` (the old sockets close).
pub fn start_accepting(server: &Arc<Server>, listeners: Vec<TcpListener>) {
    if let Some(a) = listeners.first().and_then(|l| l.local_addr().ok()) {
        server.port.store(a.port() as u64, Ordering::Relaxed);
    }
    stop_accepting(server);
    let mut tasks = server.accept_tasks.lock();
    let mut held = server.listeners.lock();
    for l in listeners {
        let l = Arc::new(l);
        let weak = Arc::downgrade(&l);
        held.push(l);
        let srv = server.clone();
        tasks.push(tokio::spawn(async move { accept_loop(srv, weak).await }).abort_handle());
    }
}

/// Closes the listening sockets now and stops their accept loops.
pub fn stop_accepting(server: &Server) {
    server.listeners.lock().clear();
    for t in server.accept_tasks.lock().drain(..) {
        t.abort();
    }
}

async fn accept_loop(server: Arc<Server>, listener: std::sync::Weak<TcpListener>) {
    loop {
        // Hold the listener only while polling, so the server can close it.
        let next = std::future::poll_fn(|cx| match listener.upgrade() {
            Some(l) => l.poll_accept(cx).map(Some),
            None => std::task::Poll::Ready(None),
        })
        .await;
        let Some(next) = next else { return };
        let (sock, peer) = match next {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("Accepting client connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let srv = server.clone();
        tokio::spawn(async move { conn::handle(srv, sock, peer).await });
    }
}
