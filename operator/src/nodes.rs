//! Talking to the set's sentinels and data nodes, behind a trait so reconcile tests can
//! fake it. The real implementation speaks RESP2 over TCP: it sends one command per
//! connection, which is plenty for planned operations that happen once in a while.

use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::{Error, Result};

/// The operations planned work needs. Addresses are `host:port`.
pub trait NodeOps: Send + Sync {
    /// `SENTINEL FAILOVER <group>` on one sentinel: a planned switchover.
    fn failover<'a>(&'a self, sentinel: &'a str, group: &'a str) -> BoxFuture<'a, Result<()>>;
    /// `SENTINEL RESET <group>`: forget replicas and sentinels, rediscover the live ones.
    fn reset<'a>(&'a self, sentinel: &'a str, group: &'a str) -> BoxFuture<'a, Result<()>>;
    /// The replicas the sentinel knows for the group (`SENTINEL REPLICAS <group>`), with
    /// the priority it last read from each one's INFO (refreshed every 10 s).
    fn replicas<'a>(
        &'a self,
        sentinel: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ReplicaInfo>>>;
    /// `CONFIG SET replica-priority <n>` on a data node (0: never promote it).
    fn set_replica_priority<'a>(
        &'a self,
        node: &'a str,
        password: &'a str,
        priority: u32,
    ) -> BoxFuture<'a, Result<()>>;
}

/// One replica as a sentinel sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaInfo {
    /// The announced address: the pod's DNS name with announce-hostnames.
    pub ip: String,
    pub port: u16,
    pub priority: i64,
}

/// RESP over TCP with a timeout on every exchange.
pub struct Resp {
    pub timeout: Duration,
}

impl Default for Resp {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3),
        }
    }
}

/// A RESP2 reply, as far as the operator needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Resp {
    async fn call(&self, addr: &str, password: Option<&str>, args: &[&str]) -> Result<Reply> {
        let exchange = async {
            let mut stream = TcpStream::connect(addr).await?;
            let mut commands = Vec::new();
            if let Some(p) = password {
                commands.extend(encode(&["AUTH", p]));
            }
            commands.extend(encode(args));
            stream.write_all(&commands).await?;
            let mut reader = BufReader::new(stream);
            if password.is_some() {
                if let Reply::Error(e) = read_reply(&mut reader, 0).await? {
                    return Ok(Reply::Error(e));
                }
            }
            read_reply(&mut reader, 0).await
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(Reply::Error(e))) => {
                Err(Error::Node(format!("{addr}: {} -> {e}", args.join(" "))))
            }
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => Err(Error::Node(format!("{addr}: {e}"))),
            Err(_) => Err(Error::Node(format!(
                "{addr}: no reply within {:?}",
                self.timeout
            ))),
        }
    }
}

impl NodeOps for Resp {
    fn failover<'a>(&'a self, sentinel: &'a str, group: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.call(sentinel, None, &["SENTINEL", "FAILOVER", group])
                .await
                .map(drop)
        })
    }
    fn reset<'a>(&'a self, sentinel: &'a str, group: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.call(sentinel, None, &["SENTINEL", "RESET", group])
                .await
                .map(drop)
        })
    }
    fn replicas<'a>(
        &'a self,
        sentinel: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ReplicaInfo>>> {
        Box::pin(async move {
            match self
                .call(sentinel, None, &["SENTINEL", "REPLICAS", group])
                .await?
            {
                Reply::Array(Some(items)) => items
                    .iter()
                    .map(replica_info)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        Error::Node(format!("{sentinel}: unreadable SENTINEL REPLICAS entry"))
                    }),
                other => Err(Error::Node(format!(
                    "{sentinel}: unexpected SENTINEL REPLICAS reply {other:?}"
                ))),
            }
        })
    }
    fn set_replica_priority<'a>(
        &'a self,
        node: &'a str,
        password: &'a str,
        priority: u32,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let p = priority.to_string();
            self.call(
                node,
                Some(password),
                &["CONFIG", "SET", "replica-priority", &p],
            )
            .await
            .map(drop)
        })
    }
}

/// One entry of SENTINEL REPLICAS: a flat list of field names and values.
fn replica_info(entry: &Reply) -> Option<ReplicaInfo> {
    let Reply::Array(Some(fields)) = entry else {
        return None;
    };
    let text = |r: &Reply| match r {
        Reply::Bulk(Some(b)) => String::from_utf8(b.clone()).ok(),
        Reply::Simple(s) => Some(s.clone()),
        _ => None,
    };
    let mut info = ReplicaInfo {
        ip: String::new(),
        port: 0,
        priority: 100,
    };
    for pair in fields.chunks(2) {
        let [k, v] = pair else { return None };
        match text(k)?.as_str() {
            "ip" => info.ip = text(v)?,
            "port" => info.port = text(v)?.parse().ok()?,
            "slave-priority" | "replica-priority" => info.priority = text(v)?.parse().ok()?,
            _ => {}
        }
    }
    (!info.ip.is_empty()).then_some(info)
}

/// A command as a RESP array of bulk strings.
pub fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend(format!("${}\r\n", a.len()).into_bytes());
        out.extend(a.as_bytes());
        out.extend(b"\r\n");
    }
    out
}

const MAX_DEPTH: usize = 8;
const MAX_LEN: usize = 1 << 20;

fn protocol(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

/// Reads one reply; nesting and sizes are bounded so a confused peer cannot exhaust us.
pub fn read_reply<'a, R: tokio::io::AsyncBufRead + Unpin + Send>(
    r: &'a mut R,
    depth: usize,
) -> BoxFuture<'a, std::io::Result<Reply>> {
    Box::pin(async move {
        if depth > MAX_DEPTH {
            return Err(protocol("reply nested too deeply"));
        }
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Err(protocol("connection closed before a reply"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let (kind, rest) = line
            .split_at_checked(1)
            .ok_or_else(|| protocol("empty reply line"))?;
        let int = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| protocol("bad length or integer"))
        };
        match kind {
            "+" => Ok(Reply::Simple(rest.into())),
            "-" => Ok(Reply::Error(rest.into())),
            ":" => Ok(Reply::Integer(int(rest)?)),
            "$" => {
                let n = int(rest)?;
                if n < 0 {
                    return Ok(Reply::Bulk(None));
                }
                let n = usize::try_from(n).map_err(|_| protocol("bad length"))?;
                if n > MAX_LEN {
                    return Err(protocol("bulk reply too large"));
                }
                let mut buf = vec![0; n + 2];
                r.read_exact(&mut buf).await?;
                buf.truncate(n);
                Ok(Reply::Bulk(Some(buf)))
            }
            "*" => {
                let n = int(rest)?;
                if n < 0 {
                    return Ok(Reply::Array(None));
                }
                let n = usize::try_from(n).map_err(|_| protocol("bad length"))?;
                if n > MAX_LEN {
                    return Err(protocol("array reply too large"));
                }
                let mut items = Vec::with_capacity(n.min(64));
                for _ in 0..n {
                    items.push(read_reply(r, depth + 1).await?);
                }
                Ok(Reply::Array(Some(items)))
            }
            _ => Err(protocol("unknown reply type")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(bytes: &[u8]) -> std::io::Result<Reply> {
        let mut r = BufReader::new(bytes);
        read_reply(&mut r, 0).await
    }

    #[tokio::test]
    async fn replies() {
        assert_eq!(
            parse(b"+OK\r\n").await.ok(),
            Some(Reply::Simple("OK".into()))
        );
        assert_eq!(
            parse(b"-INPROG x\r\n").await.ok(),
            Some(Reply::Error("INPROG x".into()))
        );
        assert_eq!(parse(b"$-1\r\n").await.ok(), Some(Reply::Bulk(None)));
        let two = parse(b"*2\r\n*2\r\n$4\r\nname\r\n$1\r\na\r\n*0\r\n")
            .await
            .ok();
        assert!(matches!(two, Some(Reply::Array(Some(ref v))) if v.len() == 2));
        assert!(parse(b"*1\r\n").await.is_err());
        assert!(parse(b"?\r\n").await.is_err());
        assert!(parse(b"$99999999999\r\n").await.is_err());
        let deep = "*1\r\n".repeat(20);
        assert!(parse(deep.as_bytes()).await.is_err());
    }

    #[test]
    fn encodes_bulk_arrays() {
        assert_eq!(
            encode(&["SENTINEL", "RESET", "ns.c"]),
            b"*3\r\n$8\r\nSENTINEL\r\n$5\r\nRESET\r\n$4\r\nns.c\r\n"
        );
    }

    /// Against a real redis-sentinel would need one running; a one-shot fake server
    /// checks the exchange instead, AUTH included.
    #[tokio::test]
    async fn auth_then_command_over_tcp() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let server = tokio::spawn(async move {
            let (s, _) = listener.accept().await.expect("accept");
            let mut r = BufReader::new(s);
            let auth = read_reply(&mut r, 0).await.expect("AUTH");
            let cmd = read_reply(&mut r, 0).await.expect("CONFIG SET");
            r.get_mut()
                .write_all(b"+OK\r\n+OK\r\n")
                .await
                .expect("reply");
            (auth, cmd)
        });
        Resp::default()
            .set_replica_priority(&addr, "pw", 0)
            .await
            .expect("ok");
        let (auth, cmd) = server.await.expect("server");
        let bulk = |s: &str| Reply::Bulk(Some(s.as_bytes().to_vec()));
        assert_eq!(auth, Reply::Array(Some(vec![bulk("AUTH"), bulk("pw")])));
        assert_eq!(
            cmd,
            Reply::Array(Some(vec![
                bulk("CONFIG"),
                bulk("SET"),
                bulk("replica-priority"),
                bulk("0")
            ]))
        );
    }
}
