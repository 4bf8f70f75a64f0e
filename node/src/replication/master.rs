//! The master side: PSYNC/SYNC decisions, the task that serves one replica
//! (full sync, then the stream from the backlog), ACK tracking for WAIT and
//! min-replicas-to-write, and the INFO/ROLE view of the attached replicas.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use super::backlog::Backlog;
use crate::server::{Server, State};

/// What a replica announced with REPLCONF before PSYNC.
#[derive(Debug, Clone, Default)]
pub struct ReplConf {
    pub listening_port: i64,
    pub ip_address: Option<String>,
    pub capa_eof: bool,
    pub capa_psync2: bool,
}

/// How a replica link starts, decided by PSYNC under the lock.
#[derive(Debug, Clone)]
pub enum SyncStart {
    /// +CONTINUE: the reader is registered in the backlog already.
    Continue { line: String },
    /// A full sync. `eof`: diskless EOF-marked transfer; `psync`: the
    /// +FULLRESYNC line is sent (not for the old SYNC).
    Full { eof: bool, psync: bool },
}

/// Replica states as INFO names them.
pub const WAIT_BGSAVE: u8 = 0;
pub const SEND_BULK: u8 = 1;
pub const ONLINE: u8 = 2;

/// One attached replica, shared by its task, INFO, ROLE and WAIT.
pub struct ReplicaLink {
    pub id: u64,
    /// The announced ip-address, else the peer's address.
    pub ip: String,
    pub port: i64,
    pub state: AtomicU8,
    /// The highest offset the replica acknowledged.
    pub ack_off: AtomicI64,
    /// Unix ms of its last ACK (or any byte from it).
    pub ack_time_ms: AtomicI64,
    /// Got its first ACK (the stream starts then after an EOF-marked sync).
    pub acked: AtomicBool,
    /// The old SYNC: no ACKs expected, no ACK timeout.
    pub pre_psync: bool,
    /// Wakes the sender: new stream bytes, or an ACK.
    pub notify: Notify,
}

impl ReplicaLink {
    pub fn state_name(&self) -> &'static str {
        match self.state.load(Ordering::Relaxed) {
            WAIT_BGSAVE => "wait_bgsave",
            SEND_BULK => "send_bulk",
            _ => "online",
        }
    }

    pub fn online(&self) -> bool {
        self.state.load(Ordering::Relaxed) == ONLINE
    }

    /// Seconds since the last ACK.
    pub fn lag_secs(&self, now_ms: i64) -> i64 {
        (now_ms - self.ack_time_ms.load(Ordering::Relaxed)) / 1000
    }
}

/// The settings a replica link reads, captured when it starts.
fn setting_i64(st: &State, name: &str, default: i64) -> i64 {
    st.config
        .inert
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// repl-backlog-size in bytes.
pub fn backlog_size(st: &State) -> usize {
    crate::config::registry_value(&st.config, "repl-backlog-size")
        .parse()
        .unwrap_or(1024 * 1024)
}

/// The replica class's client-output-buffer-limit hard limit.
pub fn replica_hard_limit(st: &State) -> usize {
    let v = crate::config::registry_value(&st.config, "client-output-buffer-limit");
    let w: Vec<&str> = v.split(' ').collect();
    w.chunks(4)
        .find(|c| c.first() == Some(&"slave"))
        .and_then(|c| c.get(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(256 * 1024 * 1024)
}

/// Creates the backlog if there is none: the first replica starts a new
/// history (createReplicationBacklog with a new replid).
fn ensure_backlog(st: &mut State) {
    if st.repl.backlog.is_none() {
        st.repl.change_replid();
        let b = Backlog::new(st.repl.offset, backlog_size(st), replica_hard_limit(st));
        st.repl.backlog = Some(Arc::new(parking_lot::Mutex::new(b)));
    }
}

/// masterTryPartialResynchronization: +CONTINUE when the history asked for
/// is ours (or our previous one, up to where it ended) and still held.
pub fn try_partial(
    st: &mut State,
    id: u64,
    replid: &[u8],
    offset: i64,
    psync2: bool,
) -> Option<String> {
    let r = &st.repl;
    let ours = replid == r.replid.as_bytes();
    let previous = replid == r.replid2.as_bytes() && offset <= r.second_replid_offset;
    if !(ours || previous) {
        return None;
    }
    let backlog = r.backlog.as_ref()?;
    let mut b = backlog.lock();
    if !b.covers(offset) {
        return None;
    }
    b.add_reader(id, offset);
    drop(b);
    Some(if psync2 {
        format!("+CONTINUE {}\r\n", r.replid)
    } else {
        "+CONTINUE\r\n".to_string()
    })
}

/// Registers a replica that is about to be served (PSYNC/SYNC accepted).
pub fn attach(
    st: &mut State,
    client_id: u64,
    peer_ip: &str,
    conf: &ReplConf,
    pre_psync: bool,
) -> Arc<ReplicaLink> {
    ensure_backlog(st);
    let now = crate::util::now_ms();
    if st.repl.replicas.is_empty() {
        // The PING period counts from the first replica.
        st.repl.last_ping_ms = now;
    }
    let link = Arc::new(ReplicaLink {
        id: client_id,
        ip: conf
            .ip_address
            .clone()
            .unwrap_or_else(|| peer_ip.to_string()),
        port: conf.listening_port,
        state: AtomicU8::new(WAIT_BGSAVE),
        ack_off: AtomicI64::new(0),
        ack_time_ms: AtomicI64::new(now),
        acked: AtomicBool::new(false),
        pre_psync,
        notify: Notify::new(),
    });
    st.repl.replicas.push(link.clone());
    link
}

fn detach(st: &mut State, link: &ReplicaLink) {
    st.repl.replicas.retain(|r| r.id != link.id);
    if let Some(b) = &st.repl.backlog {
        b.lock().remove_reader(link.id);
    }
    st.repl.acks.notify_waiters();
}

/// Replicas counted by WAIT: online and acknowledged `offset`.
pub fn count_acked(st: &State, offset: i64) -> i64 {
    st.repl
        .replicas
        .iter()
        .filter(|r| r.online() && r.ack_off.load(Ordering::Relaxed) >= offset)
        .count() as i64
}

/// Replicas that are online with an ACK at most min-replicas-max-lag old.
pub fn good_replicas(st: &State, now_ms: i64) -> i64 {
    let max_lag = st.repl.min_max_lag;
    st.repl
        .replicas
        .iter()
        .filter(|r| r.online() && r.lag_secs(now_ms) <= max_lag)
        .count() as i64
}

/// Whether min-replicas-to-write is on (both settings non-zero).
#[inline]
pub fn min_replicas_on(st: &State) -> bool {
    st.repl.min_to_write > 0 && st.repl.min_max_lag > 0
}

/// checkGoodReplicasStatus: false when writes must be refused (-NOREPLICAS).
#[inline]
pub fn enough_good_replicas(st: &State, now_ms: i64) -> bool {
    !min_replicas_on(st) || st.ks.is_replica || good_replicas(st, now_ms) >= st.repl.min_to_write
}

/// Cron: the periodic PING into the stream while replicas are attached.
pub fn cron(st: &mut State, now_ms: i64) {
    if st.repl.replicas.is_empty() || st.ks.is_replica || st.pause.is_some() {
        return;
    }
    let period = setting_i64(st, "repl-ping-replica-period", 10).max(1) * 1000;
    if now_ms - st.repl.last_ping_ms >= period {
        st.repl.last_ping_ms = now_ms;
        super::feed_static(st, None, &[b"ping"]);
    }
}

/// REPLCONF GETACK * into the stream (a client blocked in WAIT).
pub fn request_acks(st: &mut State) {
    super::feed_static(st, None, &[b"REPLCONF", b"GETACK", b"*"]);
}

/// Serves a replica link on `sock` until it closes, fails, falls out of the
/// backlog, times out or is killed. `rbuf` holds what the replica sent after
/// its PSYNC.
pub async fn serve(
    server: &Arc<Server>,
    sock: &mut TcpStream,
    rbuf: BytesMut,
    link: Arc<ReplicaLink>,
    start: SyncStart,
    killed: &Notify,
) {
    let acks = server.state.lock().repl.acks.clone();
    let (mut rd, mut wr) = sock.split();
    let reader = read_acks(&mut rd, rbuf, &link, &acks);
    let writer = send(server, &mut wr, &link, start);
    let why = tokio::select! {
        _ = reader => "connection lost".to_string(),
        r = writer => match r {
            Ok(()) => "connection lost".to_string(),
            Err(e) => e.to_string(),
        },
        _ = killed.notified() => "killed".to_string(),
    };
    tracing::info!(
        "Connection with replica {}:{} lost ({why}).",
        link.ip,
        link.port
    );
    detach(&mut server.state.lock(), &link);
}

/// Reads what a replica sends: REPLCONF ACK <offset> [FACK <aofoffset>], and
/// bare newlines while it loads. Any byte counts as a sign of life.
async fn read_acks(
    rd: &mut tokio::net::tcp::ReadHalf<'_>,
    mut buf: BytesMut,
    link: &ReplicaLink,
    acks: &Notify,
) {
    let mut parser = crate::resp::parse::RequestParser::new();
    let lim = crate::resp::parse::Limits {
        max_bulk_len: 512 * 1024 * 1024,
        authenticated: true,
    };
    loop {
        loop {
            match parser.next(&mut buf, lim) {
                Ok(Some(args)) => {
                    let is_ack = args.len() >= 3
                        && args[0].eq_ignore_ascii_case(b"replconf")
                        && args[1].eq_ignore_ascii_case(b"ack");
                    if is_ack {
                        if let Some(off) = crate::util::string2ll(&args[2]) {
                            link.ack_off.fetch_max(off, Ordering::Relaxed);
                            link.ack_time_ms
                                .store(crate::util::now_ms(), Ordering::Relaxed);
                            link.acked.store(true, Ordering::Release);
                            link.notify.notify_one();
                            acks.notify_waiters();
                        }
                    }
                    parser.recycle(args);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(16 * 1024);
        }
        match rd.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => link
                .ack_time_ms
                .store(crate::util::now_ms(), Ordering::Relaxed),
        }
        if buf.is_empty() {
            buf.clear();
        } else if buf[0] == b'\n' {
            // A bare newline is a keep-alive, not a request.
            while buf.first() == Some(&b'\n') {
                buf.advance(1);
            }
        }
    }
}

fn io_err(msg: &str) -> std::io::Error {
    std::io::Error::other(msg.to_string())
}

/// The full sync (if any), then the stream from the backlog.
async fn send(
    server: &Arc<Server>,
    wr: &mut tokio::net::tcp::WriteHalf<'_>,
    link: &ReplicaLink,
    start: SyncStart,
) -> std::io::Result<()> {
    match start {
        SyncStart::Continue { line } => {
            wr.write_all(line.as_bytes()).await?;
            link.state.store(ONLINE, Ordering::Relaxed);
            link.acked.store(true, Ordering::Release);
        }
        SyncStart::Full { eof, psync } => full_sync(server, wr, link, eof, psync).await?,
    }
    let (backlog, timeout_ms) = {
        let st = server.state.lock();
        let b = st
            .repl
            .backlog
            .clone()
            .ok_or_else(|| io_err("no backlog"))?;
        (b, setting_i64(&st, "repl-timeout", 60) * 1000)
    };
    loop {
        let chunk = backlog
            .lock()
            .read(link.id, 256 * 1024)
            .map_err(|_| io_err("the replica fell out of the replication buffer"))?;
        if !chunk.is_empty() {
            wr.write_all(&chunk).await?;
            continue;
        }
        let idle = crate::util::now_ms() - link.ack_time_ms.load(Ordering::Relaxed);
        if !link.pre_psync && idle > timeout_ms {
            return Err(io_err("timeout"));
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), link.notify.notified()).await;
    }
}

/// +FULLRESYNC, then the RDB: `$<len>` framed, or `$EOF:<mark>` ... `<mark>`
/// for a diskless sync, after which the stream waits for the replica's
/// first ACK so no stream byte follows the mark directly.
async fn full_sync(
    server: &Arc<Server>,
    wr: &mut tokio::net::tcp::WriteHalf<'_>,
    link: &ReplicaLink,
    eof: bool,
    psync: bool,
) -> std::io::Result<()> {
    if eof {
        // repl-diskless-sync-delay: let more replicas arrive, with a
        // keep-alive newline every second.
        let delay = setting_i64(&server.state.lock(), "repl-diskless-sync-delay", 5);
        for _ in 0..delay.max(0) {
            wr.write_all(b"\n").await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let (job, replid, offset) = {
        let mut st = server.state.lock();
        let job = snapshot_job(&mut st);
        st.repl.reset_seldb();
        st.repl.sync_full += 1;
        let offset = st.repl.offset;
        if let Some(b) = &st.repl.backlog {
            b.lock().add_reader(link.id, offset + 1);
        }
        (job, st.repl.replid.clone(), offset)
    };
    if psync {
        wr.write_all(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes())
            .await?;
    }
    link.state.store(SEND_BULK, Ordering::Relaxed);
    let mut build = tokio::task::spawn_blocking(job);
    let rdb = loop {
        tokio::select! {
            r = &mut build => break r.map_err(|e| io_err(&e.to_string()))??,
            _ = tokio::time::sleep(Duration::from_secs(1)) => wr.write_all(b"\n").await?,
        }
    };
    if eof {
        let mark = super::new_replid();
        wr.write_all(format!("$EOF:{mark}\r\n").as_bytes()).await?;
        wr.write_all(&rdb).await?;
        wr.write_all(mark.as_bytes()).await?;
        link.state.store(ONLINE, Ordering::Relaxed);
        while !link.acked.load(Ordering::Acquire) {
            let _ = tokio::time::timeout(Duration::from_secs(1), link.notify.notified()).await;
        }
    } else {
        wr.write_all(format!("${}\r\n", rdb.len()).as_bytes())
            .await?;
        wr.write_all(&rdb).await?;
        link.state.store(ONLINE, Ordering::Relaxed);
        link.acked.store(true, Ordering::Release);
    }
    tracing::info!(
        "Synchronization with replica {}:{} succeeded",
        link.ip,
        link.port
    );
    Ok(())
}

type RdbJob = Box<dyn FnOnce() -> std::io::Result<Vec<u8>> + Send>;

/// Copies the keyspace under the lock; the job serializes it elsewhere,
/// with the replication AUX fields of this moment.
fn snapshot_job(st: &mut State) -> RdbJob {
    let opts = crate::rdb::SaveOpts::from_config(&st.config, st.ks.now_ms);
    let snap = crate::rdb::snapshot(&st.ks, opts);
    let aux = crate::rdb::Aux {
        repl_stream_db: st.repl.stream_db(),
        repl_id: st.repl.replid.clone(),
        repl_offset: st.repl.offset,
        ..Default::default()
    };
    Box::new(move || {
        let mut out = Vec::new();
        crate::rdb::write(&snap, &aux, &mut out)?;
        Ok(out)
    })
}
