//! One task per connection: read, decode every buffered request, run them with
//! the state lock held once for the batch, write all replies in one syscall.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::client::{Client, ClientShared};
use super::Server;
use crate::commands::{self, Flow};
use crate::resp::parse::{Limits, RequestParser};
use crate::resp::Reply;

const READ_CHUNK: usize = 16 * 1024;

/// Redis 7.0's reply to a non-loopback client while protected mode is on and the
/// default user has no password (its wording, typo included).
const PROTECTED_MODE_DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

pub async fn handle(server: Arc<Server>, sock: TcpStream, peer: SocketAddr) {
    let _ = sock.set_nodelay(true);
    let id = server.next_client_id.fetch_add(1, Ordering::Relaxed);
    let laddr = sock.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let fd = fd_of(&sock);
    let shared = ClientShared::new(id, peer.to_string(), laddr, fd);
    let admitted = {
        let mut st = server.state.lock();
        let verdict = admit(&st.config, peer, st.clients.len());
        match verdict {
            Ok(_) => {
                st.clients.insert(id, shared.clone());
                st.stats.total_connections_received += 1;
            }
            Err(MAXCLIENTS_REACHED) => st.stats.rejected_connections += 1,
            Err(_) => {}
        }
        // The request limits apply from the connection's first byte.
        verdict.map(|auth| {
            (
                auth,
                st.config.proto_max_bulk_len,
                st.config.client_query_buffer_limit,
            )
        })
    };
    let (authenticated, max_bulk_len, query_limit) = match admitted {
        Ok(a) => a,
        Err(msg) => {
            let mut sock = sock;
            let _ = sock.write_all(msg.as_bytes()).await;
            return;
        }
    };
    let client = Client::new(shared.clone(), authenticated, peer.ip().is_loopback());
    let mut conn = Conn {
        server: server.clone(),
        sock,
        rbuf: BytesMut::with_capacity(READ_CHUNK),
        parser: RequestParser::new(),
        out: Reply::new(false),
        client,
        postponed: None,
        max_bulk_len,
        query_limit,
    };
    conn.run().await;
    if let Some(start) = conn.client.replica_start.take() {
        let link = {
            let st = server.state.lock();
            st.repl.replicas.iter().find(|r| r.id == id).cloned()
        };
        if let Some(link) = link {
            shared.meta.lock().replica = true;
            let rbuf = std::mem::take(&mut conn.rbuf);
            crate::replication::master::serve(
                &server,
                &mut conn.sock,
                rbuf,
                link,
                start,
                &shared.killed_notify,
            )
            .await;
        }
    }
    let mut st = server.state.lock();
    st.clients.remove(&id);
    st.stats.net_input_bytes += shared.net_in.load(Ordering::Relaxed);
    st.stats.net_output_bytes += shared.net_out.load(Ordering::Relaxed);
    if conn.client.monitor {
        st.monitors.retain(|m| m.id != id);
    }
    commands::pubsub::unsubscribe_all(&mut st, &mut conn.client);
    st.ks.watch.reset(id);
    commands::blocking::forget(&mut st, id);
}

fn fd_of(sock: &TcpStream) -> i64 {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        sock.as_raw_fd() as i64
    }
    #[cfg(not(unix))]
    {
        let _ = sock;
        -1
    }
}

const MAXCLIENTS_REACHED: &str = "-ERR max number of clients reached\r\n";

/// Whether a new connection is served: protected mode refuses non-loopback
/// peers while the default user has no password; maxclients bounds the rest.
/// Ok says whether the client starts authenticated.
fn admit(
    cfg: &crate::config::Config,
    peer: SocketAddr,
    clients: usize,
) -> Result<bool, &'static str> {
    if cfg.protected_mode && cfg.requirepass.is_none() && !peer.ip().is_loopback() {
        Err(PROTECTED_MODE_DENIED)
    } else if clients as i64 >= cfg.maxclients {
        Err(MAXCLIENTS_REACHED)
    } else {
        Ok(cfg.requirepass.is_none())
    }
}

struct Conn {
    server: Arc<Server>,
    sock: TcpStream,
    rbuf: BytesMut,
    parser: RequestParser,
    out: Reply,
    client: Client,
    /// A request held back by CLIENT PAUSE, run again when the pause ends.
    postponed: Option<Vec<Bytes>>,
    max_bulk_len: i64,
    query_limit: i64,
}

impl Conn {
    async fn run(&mut self) {
        loop {
            let flow = self.process();
            self.drain_pushed();
            if !self.out.buf.is_empty() {
                let n = self.out.buf.len();
                if !self.write_out().await {
                    return;
                }
                self.client
                    .shared
                    .net_out
                    .fetch_add(n as u64, Ordering::Relaxed);
                self.out.buf.clear();
                if self.out.buf.capacity() > 1024 * 1024 {
                    // Do not keep a huge reply buffer around after one big reply.
                    self.out.buf = BytesMut::with_capacity(READ_CHUNK);
                }
            }
            match flow {
                Flow::Close => return,
                Flow::Shutdown => {
                    self.server.request_shutdown();
                    return;
                }
                Flow::Postpone => {
                    self.wait_unpause().await;
                    if self.client.shared.is_killed() {
                        return;
                    }
                    continue;
                }
                Flow::Replica => return,
                Flow::Wait {
                    offset,
                    numreplicas,
                    deadline_ms,
                } => {
                    if !self.wait_acks(offset, numreplicas, deadline_ms).await {
                        return;
                    }
                    continue;
                }
                Flow::Block => {
                    if !self.wait_unblocked().await {
                        return;
                    }
                    // The reply is in the buffer; then the pipelined requests.
                    continue;
                }
                Flow::Continue => {}
            }
            if self.client.shared.is_killed() {
                return;
            }
            if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 2 {
                let want = self
                    .parser
                    .bulk_hint(self.rbuf.len())
                    .unwrap_or(0)
                    .max(READ_CHUNK);
                self.rbuf.reserve(want);
            }
            tokio::select! {
                r = self.sock.read_buf(&mut self.rbuf) => match r {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        self.client.shared.net_in.fetch_add(n as u64, Ordering::Relaxed);
                        if self.rbuf.len() as i64 > self.query_limit {
                            tracing::warn!("Closing client that reached max query buffer length: id={}", self.client.id);
                            self.server.state.lock().stats.client_query_buffer_limit_disconnections += 1;
                            return;
                        }
                    }
                },
                _ = self.client.shared.notify.notified() => {
                    if self.client.shared.is_killed() {
                        return;
                    }
                }
            }
        }
    }

    /// Writes the reply buffer. A client that does not read must still be
    /// killable (CLIENT KILL, timeout), so the write also wakes on a kill;
    /// `write` is cancel-safe. False: close the connection.
    async fn write_out(&mut self) -> bool {
        let mut off = 0;
        while off < self.out.buf.len() {
            tokio::select! {
                r = self.sock.write(&self.out.buf[off..]) => match r {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => off += n,
                },
                _ = self.client.shared.killed_notify.notified() => return false,
            }
        }
        true
    }

    /// Moves output other clients queued for us (pub/sub, MONITOR) into the reply buffer.
    fn drain_pushed(&mut self) {
        let mut p = self.client.shared.pending.lock();
        if !p.is_empty() {
            self.out.buf.extend_from_slice(&p);
            p.clear();
        }
    }

    /// Runs every complete request in the read buffer. The state lock is taken at
    /// the first request and held until the batch ends; nothing here awaits.
    fn process(&mut self) -> Flow {
        let mut guard = None;
        let mut clock = None;
        loop {
            let args = match self.postponed.take() {
                Some(a) => a,
                None => {
                    let lim = Limits {
                        max_bulk_len: self.max_bulk_len,
                        authenticated: self.client.authenticated,
                    };
                    match self.parser.next(&mut self.rbuf, lim) {
                        Ok(Some(a)) => a,
                        Ok(None) => return Flow::Continue,
                        Err(e) => {
                            let st = guard.get_or_insert_with(|| self.server.state.lock());
                            let msg = format!("ERR {e}");
                            self.out.error(&msg);
                            st.stats.count_error(&msg);
                            tracing::info!(
                                "Protocol error ({}) from client: id={} addr={}",
                                e.0,
                                self.client.id,
                                self.client.shared.addr
                            );
                            return Flow::Close;
                        }
                    }
                }
            };
            let st = guard.get_or_insert_with(|| self.server.state.lock());
            let clock = clock.get_or_insert_with(commands::BatchClock::new);
            self.max_bulk_len = st.config.proto_max_bulk_len;
            self.query_limit = st.config.client_query_buffer_limit;
            let flow = commands::execute(
                &self.server,
                st,
                &mut self.client,
                &args,
                &mut self.out,
                clock,
            );
            if flow == Flow::Postpone {
                self.postponed = Some(args);
                return Flow::Postpone;
            }
            self.parser.recycle(args);
            match flow {
                // The rest of the batch stays in the buffer until unblocked.
                Flow::Block => return Flow::Block,
                Flow::Continue if self.client.close_after_reply => return Flow::Close,
                Flow::Continue => {}
                other => return other,
            }
        }
    }

    /// WAIT blocked: replies with the number of replicas that acknowledged
    /// `offset` once there are `want`, or at the deadline. False: killed.
    async fn wait_acks(&mut self, offset: i64, want: i64, deadline_ms: i64) -> bool {
        let acks = self.server.state.lock().repl.acks.clone();
        self.client.shared.meta.lock().blocked = true;
        let alive = loop {
            let notified = acks.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let n = {
                let st = self.server.state.lock();
                crate::replication::master::count_acked(&st, offset)
            };
            let now = crate::util::now_ms();
            if n >= want || (deadline_ms > 0 && now >= deadline_ms) {
                self.out.int(n);
                break true;
            }
            let nap = if deadline_ms > 0 {
                deadline_ms - now
            } else {
                1000
            };
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(std::time::Duration::from_millis(nap.clamp(1, 1000) as u64)) => {}
                _ = self.client.shared.killed_notify.notified() => break false,
            }
        };
        self.client.shared.meta.lock().blocked = false;
        alive
    }

    /// Waits while the client is blocked (BLPOP...): until another client
    /// serves it or CLIENT UNBLOCKs it (the reply is then queued on this
    /// client), or its deadline passes. Meanwhile the socket is still read,
    /// without running anything, so a disconnect ends the wait as in Redis.
    /// False: close the connection.
    async fn wait_unblocked(&mut self) -> bool {
        let id = self.client.id;
        loop {
            let deadline = {
                let mut st = self.server.state.lock();
                match st.blocked.deadline(id) {
                    None => break,
                    Some(d) if d != 0 && d <= crate::util::now_ms() => {
                        let now = crate::util::now_ms();
                        commands::blocking::expire(&mut st, id, now);
                        break;
                    }
                    Some(d) => d,
                }
            };
            // Messages pushed meanwhile (RESP3 pub/sub) go out at once.
            self.drain_pushed();
            if !self.out.buf.is_empty() {
                let n = self.out.buf.len();
                if !self.write_out().await {
                    return false;
                }
                self.client
                    .shared
                    .net_out
                    .fetch_add(n as u64, Ordering::Relaxed);
                self.out.buf.clear();
            }
            let wait = if deadline == 0 {
                std::time::Duration::from_secs(3600)
            } else {
                std::time::Duration::from_millis((deadline - crate::util::now_ms()).max(0) as u64)
            };
            tokio::select! {
                r = self.sock.read_buf(&mut self.rbuf) => match r {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => {
                        self.client.shared.net_in.fetch_add(n as u64, Ordering::Relaxed);
                        if self.rbuf.len() as i64 > self.query_limit {
                            tracing::warn!("Closing client that reached max query buffer length: id={}", self.client.id);
                            self.server.state.lock().stats.client_query_buffer_limit_disconnections += 1;
                            return false;
                        }
                        if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 2 {
                            self.rbuf.reserve(READ_CHUNK);
                        }
                    }
                },
                _ = self.client.shared.notify.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
            if self.client.shared.is_killed() {
                return false;
            }
        }
        // Unblocked: the reply was queued before the client left the blocked
        // set, under the lock, so it is in `pending` now.
        self.drain_pushed();
        true
    }

    async fn wait_unpause(&mut self) {
        let until = self.server.state.lock().pause.map(|(t, _)| t);
        let Some(until) = until else {
            self.client.shared.meta.lock().blocked = false;
            return;
        };
        let wait = (until - crate::util::now_ms()).max(0) as u64;
        // CLIENT KILL (or a timeout kill) must not wait for the pause to end.
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(wait + 1)) => {}
            _ = self.server.unpaused.notified() => {}
            _ = self.client.shared.killed_notify.notified() => {
                self.client.shared.killed_notify.notify_one();
            }
        }
        self.client.shared.meta.lock().blocked = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn protected_mode_and_maxclients() {
        let local: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        let remote: SocketAddr = "203.0.113.7:5000".parse().expect("addr");
        let mut cfg = Config::default();
        assert_eq!(admit(&cfg, local, 0), Ok(true));
        assert_eq!(admit(&cfg, remote, 0), Err(PROTECTED_MODE_DENIED));
        cfg.requirepass = Some(b"pw".to_vec());
        assert_eq!(
            admit(&cfg, remote, 0),
            Ok(false),
            "a password lifts protected mode"
        );
        cfg.requirepass = None;
        cfg.protected_mode = false;
        assert_eq!(admit(&cfg, remote, 0), Ok(true));
        cfg.maxclients = 2;
        assert_eq!(admit(&cfg, local, 2), Err(MAXCLIENTS_REACHED));
    }
}
