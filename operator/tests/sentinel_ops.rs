//! The operator's RESP client (`nodes::Resp`) against a real redis-server 7.0 master,
//! its replica and a real redis-sentinel (Debian's, installed by scripts/test-deps):
//! the sentinel's replica count, replica-priority 0 keeping a replica from promotion,
//! a planned switchover, SENTINEL RESET, and a wrong password.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rrs_operator::nodes::{NodeOps, Resp};

struct Proc {
    child: Child,
    dir: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

fn temp_dir(tag: &str, port: u16) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rrs-op-test-{tag}-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Starts `bin` with `args` and waits (with a deadline) until `port` accepts.
fn start(bin: &str, tag: &str, port: u16, args: &[String]) -> Proc {
    let dir = temp_dir(tag, port);
    let log = std::fs::File::create(dir.join("log")).expect("log");
    let child = Command::new(bin)
        .args(args)
        .current_dir(&dir)
        .stdout(log.try_clone().expect("dup"))
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin} is required (scripts/test-deps installs it): {e}"));
    let p = Proc { child, dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{bin} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    p
}

fn server(tag: &str, port: u16, extra: &[&str]) -> Proc {
    let mut args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--requirepass",
        "pw",
        "--masterauth",
        "pw",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    start("redis-server", tag, port, &args)
}

/// `SENTINEL get-master-addr-by-name` through redis-cli.
fn master_port(sentinel: u16) -> Option<String> {
    let out = Command::new("redis-cli")
        .args([
            "-p",
            &sentinel.to_string(),
            "--raw",
            "SENTINEL",
            "get-master-addr-by-name",
            "test.cache",
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .map(str::to_string)
}

async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut f: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn resp_client_against_real_redis_and_sentinel() {
    let (p_master, p_replica, p_sentinel) = (free_port(), free_port(), free_port());
    let _master = server("master", p_master, &[]);
    let _replica = server(
        "replica",
        p_replica,
        &["--replicaof", "127.0.0.1", &p_master.to_string()],
    );
    let conf_dir = temp_dir("sentinel-conf", p_sentinel);
    let conf = conf_dir.join("sentinel.conf");
    std::fs::write(
        &conf,
        format!(
            "port {p_sentinel}\nbind 127.0.0.1\nsentinel monitor test.cache 127.0.0.1 {p_master} 1\n\
             sentinel auth-pass test.cache pw\nsentinel down-after-milliseconds test.cache 2000\n\
             sentinel failover-timeout test.cache 10000\n"
        ),
    )
    .expect("sentinel.conf");
    let _sentinel = start(
        "redis-sentinel",
        "sentinel",
        p_sentinel,
        &[conf.display().to_string()],
    );
    let ops = Resp::default();
    let sentinel = format!("127.0.0.1:{p_sentinel}");
    let replica = format!("127.0.0.1:{p_replica}");

    // The sentinel finds the replica through the master's INFO.
    let seen = |priority: i64| {
        let (ops, sentinel) = (&ops, &sentinel);
        move || async move {
            let r = ops
                .replicas(sentinel, "test.cache")
                .await
                .unwrap_or_default();
            r.len() == 1
                && r[0].ip == "127.0.0.1"
                && r[0].port == p_replica
                && r[0].priority == priority
        }
    };
    eventually("the sentinel to list the replica", seen(100)).await;
    assert!(
        ops.replicas(&sentinel, "no.such").await.is_err(),
        "unknown group is an error"
    );

    // A replica with priority 0 is never promoted: once the sentinel has read it
    // (INFO every 10 s), the failover has no candidate.
    ops.set_replica_priority(&replica, "pw", 0)
        .await
        .expect("CONFIG SET with AUTH");
    assert!(
        ops.set_replica_priority(&replica, "wrong", 0)
            .await
            .is_err(),
        "a wrong password fails"
    );
    eventually("the sentinel to see priority 0", seen(0)).await;
    let refused = ops.failover(&sentinel, "test.cache").await;
    let msg = format!("{refused:?}");
    assert!(msg.contains("NOGOODSLAVE"), "{msg}");

    // With a normal priority the planned switchover promotes it.
    ops.set_replica_priority(&replica, "pw", 100)
        .await
        .expect("priority back");
    eventually("the sentinel to see priority 100", seen(100)).await;
    ops.failover(&sentinel, "test.cache")
        .await
        .expect("SENTINEL FAILOVER");
    let want = p_replica.to_string();
    eventually("the switchover", || async {
        master_port(p_sentinel).as_deref() == Some(want.as_str())
    })
    .await;

    ops.reset(&sentinel, "test.cache")
        .await
        .expect("SENTINEL RESET");
    let _ = std::fs::remove_dir_all(conf_dir);
}
