//! The replica side: REPLICAOF's link task. It connects, runs the
//! [`Handshake`], loads the master's RDB (disk `$len` or diskless `$EOF:`
//! framing) through the rdb module, then applies the command stream as the
//! master client, appending the same bytes to its own backlog so its
//! sub-replicas get the master's stream unchanged (chained replication).
//! ACKs go out every second and on GETACK; a link silent for repl-timeout is
//! dropped and retried every second.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::backlog::Backlog;
use super::handshake::{self, Handshake, Psync, Step};
use crate::server::client::{Client, ClientShared};
use crate::server::{Server, State};

/// The link's state, as ROLE names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Connect,
    Connecting,
    Handshake,
    /// Receiving the RDB (TRANSFER).
    Sync,
    Connected,
}

impl LinkState {
    pub fn name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Sync => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// This node's master, while it is a replica.
#[derive(Debug, Clone)]
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    pub state: LinkState,
    /// Which REPLICAOF this link serves: a newer one stops the old task.
    pub gen: u64,
    /// Unix ms of the last byte from the master.
    pub last_io_ms: i64,
    /// Unix ms the link went down (0: never up).
    pub down_since_ms: i64,
    /// Bytes of the RDB expected (-1 for EOF framing) and read so far.
    pub sync_total: i64,
    pub sync_read: i64,
    /// Stream bytes received (applied or not): slave_read_repl_offset.
    pub read_offset: i64,
    /// The master client's id while connected (CLIENT LIST, KILL).
    pub client_id: Option<u64>,
}

type Res<T> = Result<T, String>;

/// REPLICAOF host port: (re)points this node at a master.
/// `from_config`: the replicaof setting at startup (no history of our own
/// to continue).
pub fn set_master(server: &Server, st: &mut State, host: String, port: u16, from_config: bool) {
    st.repl.link_gen += 1;
    let gen = st.repl.link_gen;
    if let Some(old) = st.repl.master.take() {
        kill_client(st, old.client_id);
    } else {
        // A master turning replica continues its own history if it can
        // (PSYNC <our replid> <our offset+1>); its stream db is where the
        // master client starts.
        if !from_config {
            st.repl.master_db = st.repl.stream_db() as usize;
            st.repl.has_master_history = true;
        }
    }
    tracing::info!("Connecting to MASTER {host}:{port}");
    // CONFIG GET/REWRITE replicaof follow the current master.
    st.config.replicaof = format!("{host} {port}");
    st.repl.master = Some(MasterLink {
        host,
        port,
        state: LinkState::Connect,
        gen,
        last_io_ms: 0,
        down_since_ms: 0,
        sync_total: 0,
        sync_read: 0,
        read_offset: st.repl.offset,
        client_id: None,
    });
    st.ks.is_replica = true;
    if let Some(me) = server.me.upgrade() {
        tokio::spawn(run(me, gen));
    }
}

/// The replicaof setting at startup.
pub fn start_from_config(server: &Server) {
    let mut st = server.state.lock();
    let conf = st.config.replicaof.clone();
    let mut w = conf.split_whitespace();
    if let (Some(host), Some(port)) = (w.next(), w.next().and_then(|p| p.parse().ok())) {
        set_master(server, &mut st, host.to_string(), port, true);
    }
}

/// REPLICAOF NO ONE: promotion. The old history stays valid (replid2) up
/// to our offset, so the other replicas continue with +CONTINUE; ours are
/// disconnected to learn the new id.
pub fn unset_master(st: &mut State) {
    let Some(old) = st.repl.master.take() else {
        return;
    };
    st.repl.link_gen += 1;
    kill_client(st, old.client_id);
    st.ks.is_replica = false;
    st.config.replicaof.clear();
    st.repl.replid2 = std::mem::replace(&mut st.repl.replid, super::new_replid());
    st.repl.second_replid_offset = st.repl.offset + 1;
    tracing::info!(
        "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
        st.repl.replid2,
        st.repl.second_replid_offset,
        st.repl.replid
    );
    disconnect_replicas(st);
    st.repl.reset_seldb();
    tracing::info!("MASTER MODE enabled (user request from 'id=? addr=?')");
}

fn kill_client(st: &State, id: Option<u64>) {
    if let Some(c) = id.and_then(|id| st.clients.get(&id)) {
        c.kill();
    }
}

/// disconnectSlaves: our replicas re-sync to learn a new history.
pub fn disconnect_replicas(st: &mut State) {
    for r in &st.repl.replicas {
        if let Some(c) = st.clients.get(&r.id) {
            c.kill();
        }
    }
}

/// Whether the task for `gen` is still the wanted one.
fn current(st: &mut State, gen: u64) -> Res<&mut MasterLink> {
    match st.repl.master.as_mut() {
        Some(m) if m.gen == gen => Ok(m),
        _ => Err("replication target changed".into()),
    }
}

fn set_state(server: &Server, gen: u64, s: LinkState) -> Res<()> {
    current(&mut server.state.lock(), gen)?.state = s;
    Ok(())
}

async fn run(server: Arc<Server>, gen: u64) {
    loop {
        let Some((host, port)) = ({
            let mut st = server.state.lock();
            current(&mut st, gen).ok().map(|m| (m.host.clone(), m.port))
        }) else {
            return;
        };
        let err = session(&server, gen, &host, port).await.err();
        {
            let mut st = server.state.lock();
            let now = crate::util::now_ms();
            let Ok(m) = current(&mut st, gen) else {
                return;
            };
            let was_up = m.state == LinkState::Connected;
            m.state = LinkState::Connect;
            if was_up || m.down_since_ms == 0 {
                m.down_since_ms = now;
            }
            let id = m.client_id.take();
            kill_client(&st, id);
            match err {
                Some(e) if was_up => tracing::warn!("Connection with master lost ({e})."),
                Some(e) => tracing::warn!("Error condition on socket for SYNC: {e}"),
                None => {}
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Buffered reads from the master with a deadline per read.
struct Conn {
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    buf: BytesMut,
    timeout: Duration,
}

impl Conn {
    async fn fill(&mut self) -> Res<()> {
        if self.buf.capacity() - self.buf.len() < 16 * 1024 {
            self.buf.reserve(64 * 1024);
        }
        match tokio::time::timeout(self.timeout, self.rd.read_buf(&mut self.buf)).await {
            Err(_) => Err("Timeout connecting to the MASTER...".into()),
            Ok(Ok(0)) => Err("connection closed by the master".into()),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
        }
    }

    /// One reply line, without its line ending (bare `\n` gives "").
    async fn line(&mut self) -> Res<String> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let l = self.buf.split_to(i + 1);
                let s = String::from_utf8_lossy(&l[..i]);
                return Ok(s.trim_end_matches('\r').to_string());
            }
            if self.buf.len() > 64 * 1024 {
                return Err("reply line too long".into());
            }
            self.fill().await?;
        }
    }

    /// The next line that is not a keep-alive newline.
    async fn nonempty_line(&mut self) -> Res<String> {
        loop {
            let l = self.line().await?;
            if !l.is_empty() {
                return Ok(l);
            }
        }
    }

    async fn send(&mut self, argv: &[Vec<u8>]) -> Res<()> {
        let mut b = Vec::new();
        super::encode(&mut b, argv);
        self.wr.write_all(&b).await.map_err(|e| e.to_string())
    }
}

fn handshake_conf(st: &State) -> handshake::Conf {
    let inert = |n: &str| st.config.inert.get(n).cloned().unwrap_or_default();
    let announce_port: i64 = inert("replica-announce-port").parse().unwrap_or(0);
    let ip = inert("replica-announce-ip");
    let user = inert("masteruser");
    handshake::Conf {
        masterauth: st.config.masterauth.clone(),
        masteruser: (!user.is_empty()).then(|| user.into_bytes()),
        port: if announce_port != 0 {
            announce_port
        } else {
            st.config.port
        },
        announce_ip: (!ip.is_empty()).then_some(ip),
        replid: st.repl.replid.clone(),
        offset: st.repl.offset + 1,
    }
}

/// One connection to the master: handshake, sync, then the stream until
/// it fails. Err says why it ended.
async fn session(server: &Arc<Server>, gen: u64, host: &str, port: u16) -> Res<()> {
    set_state(server, gen, LinkState::Connecting)?;
    let (timeout, conf) = {
        let st = server.state.lock();
        let secs = st
            .config
            .inert
            .get("repl-timeout")
            .and_then(|v| v.parse().ok())
            .unwrap_or(60u64);
        (Duration::from_secs(secs.max(1)), handshake_conf(&st))
    };
    let sock = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| "Timeout connecting to the MASTER...".to_string())?
        .map_err(|e| format!("Error condition on socket for SYNC: {e}"))?;
    let _ = sock.set_nodelay(true);
    tracing::info!("MASTER <-> REPLICA sync started");
    let (rd, wr) = sock.into_split();
    let mut c = Conn {
        rd,
        wr,
        buf: BytesMut::with_capacity(64 * 1024),
        timeout,
    };
    set_state(server, gen, LinkState::Handshake)?;
    let mut hs = Handshake::new(conf);
    let mut after = None;
    loop {
        let burst = hs.next_burst(after);
        let Some(&(last, _)) = burst.last() else {
            break;
        };
        for (_, argv) in &burst {
            c.send(argv).await?;
        }
        if last == Step::Psync {
            break;
        }
        for _ in &burst {
            let line = c.line().await?;
            hs.on_reply(&line)?;
        }
        after = Some(last);
    }
    let reply = hs.on_psync_reply(&c.nonempty_line().await?);
    match reply {
        Psync::Full { replid, offset } => {
            tracing::info!("Full resync from master: {replid}:{offset}");
            set_state(server, gen, LinkState::Sync)?;
            let eof = full_sync(server, gen, &mut c, replid, offset).await?;
            if eof {
                c.send(&ack(offset)).await?;
            }
        }
        Psync::Continue { replid } => {
            tracing::info!("Successful partial resynchronization with master.");
            continue_history(&mut server.state.lock(), replid);
        }
        Psync::TryLater(e) => return Err(format!("Master is currently unable to PSYNC: {e}")),
        Psync::Error(e) => return Err(format!("Unexpected reply to PSYNC from master: {e}")),
    }
    stream(server, gen, c).await
}

fn ack(offset: i64) -> Vec<Vec<u8>> {
    vec![
        b"REPLCONF".to_vec(),
        b"ACK".to_vec(),
        offset.to_string().into_bytes(),
    ]
}

/// +CONTINUE: a new master replid starts a new history; the old one stays
/// valid (replid2) up to here, and our own replicas re-sync to learn it.
fn continue_history(st: &mut State, replid: Option<String>) {
    if let Some(id) = replid {
        if id != st.repl.replid {
            st.repl.replid2 = std::mem::replace(&mut st.repl.replid, id);
            st.repl.second_replid_offset = st.repl.offset + 1;
            tracing::info!("Master replication ID changed to {}", st.repl.replid);
            disconnect_replicas(st);
        }
    }
    if st.repl.backlog.is_none() {
        create_backlog(st);
    }
}

fn create_backlog(st: &mut State) {
    let size = super::master::backlog_size(st);
    let hard = super::master::replica_hard_limit(st);
    let b = Backlog::new(st.repl.offset, size, hard);
    st.repl.backlog = Some(Arc::new(parking_lot::Mutex::new(b)));
}

/// Reads the RDB after +FULLRESYNC and installs it. True for EOF framing
/// (which wants an immediate ACK).
async fn full_sync(
    server: &Arc<Server>,
    gen: u64,
    c: &mut Conn,
    replid: String,
    offset: i64,
) -> Res<bool> {
    let head = c.nonempty_line().await?;
    if head.starts_with('-') {
        return Err(format!("MASTER aborted replication with an error: {head}"));
    }
    let Some(spec) = head.strip_prefix('$') else {
        return Err(format!(
            "Bad protocol from MASTER, the first byte is not '$' (we received '{head}'), are you sure the host and port are right?"
        ));
    };
    let eof_mark = spec
        .strip_prefix("EOF:")
        .filter(|m| m.len() >= 40)
        .map(|m| m.as_bytes()[..40].to_vec());
    let rdb = match &eof_mark {
        Some(mark) => {
            {
                let mut st = server.state.lock();
                let m = current(&mut st, gen)?;
                m.sync_total = -1;
                m.sync_read = 0;
            }
            loop {
                if c.buf.len() >= 40 && c.buf.ends_with(mark) {
                    let mut body = c.buf.split();
                    body.truncate(body.len() - 40);
                    break body;
                }
                c.fill().await?;
                if let Ok(m) = current(&mut server.state.lock(), gen) {
                    m.sync_read = c.buf.len() as i64;
                    m.last_io_ms = crate::util::now_ms();
                }
            }
        }
        None => {
            let len: usize = spec
                .parse()
                .map_err(|_| format!("Bad RDB length from MASTER: {head}"))?;
            {
                let mut st = server.state.lock();
                let m = current(&mut st, gen)?;
                m.sync_total = len as i64;
            }
            while c.buf.len() < len {
                c.fill().await?;
                if let Ok(m) = current(&mut server.state.lock(), gen) {
                    m.sync_read = c.buf.len().min(len) as i64;
                    m.last_io_ms = crate::util::now_ms();
                }
            }
            c.buf.split_to(len)
        }
    };
    tracing::info!(
        "MASTER <-> REPLICA sync: receiving {} bytes from master",
        rdb.len()
    );
    let opts = {
        let st = server.state.lock();
        crate::rdb::LoadOpts {
            enc: crate::rdb::Encodings::from_config(&st.config),
            now_ms: crate::util::now_ms(),
            drop_expired: false,
            databases: st.ks.dbs.len(),
            verify_checksum: true,
        }
    };
    let loaded = tokio::task::spawn_blocking(move || crate::rdb::load(&rdb, &opts))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| {
            format!("Failed trying to load the MASTER synchronization DB from socket: {e}")
        })?;
    let old = {
        let mut st = server.state.lock();
        current(&mut st, gen)?;
        let keys = loaded.keys_loaded;
        let stream_db = loaded.aux.repl_stream_db.max(0) as usize;
        let old = crate::rdb::install(&mut st.ks, loaded);
        st.ks.dirty += 1;
        st.repl.replid = replid;
        st.repl.offset = offset;
        st.repl.replid2 = "0".repeat(40);
        st.repl.second_replid_offset = -1;
        st.repl.reset_seldb();
        st.repl.master_db = stream_db.min(st.ks.dbs.len().saturating_sub(1));
        st.repl.has_master_history = true;
        // Our history changed: our replicas must sync again.
        disconnect_replicas(&mut st);
        create_backlog(&mut st);
        tracing::info!("MASTER <-> REPLICA sync: Finished with success ({keys} keys)");
        old
    };
    // Freed outside the lock: dropping a big dataset takes a while.
    std::thread::spawn(move || drop(old));
    Ok(eof_mark.is_some())
}

/// Applies the master's stream until the link fails or is replaced.
async fn stream(server: &Arc<Server>, gen: u64, mut c: Conn) -> Res<()> {
    let id = server.next_client_id.fetch_add(1, Ordering::Relaxed);
    let (addr, laddr) = (
        c.rd.peer_addr().map(|a| a.to_string()).unwrap_or_default(),
        c.rd.local_addr().map(|a| a.to_string()).unwrap_or_default(),
    );
    let shared = ClientShared::new(id, addr, laddr, -1);
    shared.meta.lock().master = true;
    let mut client = Client::new(shared.clone(), true, false);
    client.is_master = true;
    let (timeout_ms, ack_now) = {
        let mut st = server.state.lock();
        st.clients.insert(id, shared.clone());
        let m = current(&mut st, gen)?;
        m.client_id = Some(id);
        m.state = LinkState::Connected;
        m.last_io_ms = crate::util::now_ms();
        m.down_since_ms = 0;
        client.db = st.repl.master_db;
        let t = st
            .config
            .inert
            .get("repl-timeout")
            .and_then(|v| v.parse().ok())
            .unwrap_or(60i64);
        (t * 1000, st.repl.offset)
    };
    tracing::info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization or finished a full sync.");
    let res = apply_loop(
        server,
        gen,
        &mut c,
        &mut client,
        &shared,
        timeout_ms,
        ack_now,
    )
    .await;
    server.state.lock().clients.remove(&id);
    res
}

#[allow(clippy::too_many_arguments)]
async fn apply_loop(
    server: &Arc<Server>,
    gen: u64,
    c: &mut Conn,
    client: &mut Client,
    shared: &ClientShared,
    timeout_ms: i64,
    first_ack: i64,
) -> Res<()> {
    c.send(&ack(first_ack)).await?;
    let mut parser = crate::resp::parse::RequestParser::new();
    let lim = crate::resp::parse::Limits {
        max_bulk_len: i64::MAX,
        authenticated: true,
    };
    let mut out = crate::resp::Reply::new(false);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        if c.buf.capacity() - c.buf.len() < 16 * 1024 {
            c.buf.reserve(64 * 1024);
        }
        tokio::select! {
            r = c.rd.read_buf(&mut c.buf) => match r {
                Ok(0) => return Err("connection closed by the master".into()),
                Err(e) => return Err(e.to_string()),
                Ok(_) => {}
            },
            _ = tick.tick() => {
                let (offset, last_io) = {
                    let mut st = server.state.lock();
                    let off = st.repl.offset;
                    (off, current(&mut st, gen)?.last_io_ms)
                };
                if crate::util::now_ms() - last_io > timeout_ms {
                    return Err("MASTER timeout: no data nor PING received...".into());
                }
                c.send(&ack(offset)).await?;
                continue;
            }
            _ = shared.killed_notify.notified() => return Err("link closed".into()),
        }
        let mut ack_at = None;
        {
            let mut st = server.state.lock();
            current(&mut st, gen)?.last_io_ms = crate::util::now_ms();
            let mut clock = crate::commands::BatchClock::new();
            loop {
                let before = c.buf.len();
                let args = match parser.next(&mut c.buf, lim) {
                    Ok(Some(a)) => a,
                    Ok(None) => break,
                    Err(e) => return Err(format!("protocol error from master: {e}")),
                };
                let consumed = (before - c.buf.len()) as i64;
                let getack = args.len() >= 2
                    && args[0].eq_ignore_ascii_case(b"replconf")
                    && args[1].eq_ignore_ascii_case(b"getack");
                if getack {
                    // The ACK reports the offset before the GETACK itself.
                    ack_at = Some(st.repl.offset);
                }
                st.repl.applying_master = true;
                crate::commands::execute(server, &mut st, client, &args, &mut out, &mut clock);
                st.repl.applying_master = false;
                out.buf.clear();
                super::feed_raw(&mut st, &args, consumed);
                parser.recycle(args);
            }
            st.repl.master_db = client.db;
            let read = st.repl.offset + c.buf.len() as i64;
            current(&mut st, gen)?.read_offset = read;
        }
        if let Some(off) = ack_at {
            c.send(&ack(off)).await?;
        }
    }
}
