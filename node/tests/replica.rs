//! Replication interop, replica side: our node replicating from a real
//! redis-server 7.0 (full sync disk and diskless, the stream, -READONLY,
//! partial resync after a dropped link, INFO/ROLE fields against a real
//! replica's), our master -> our replica, the chain real -> ours -> real,
//! promotions where the other replicas continue partially, and a master
//! that sends garbage.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

use common::repl::{dump_all, info_field, populate, wait_for, wait_link_up};
use common::{start_node, start_redis, Proc, Raw};

const KEYS: &[&str] = &[
    "str", "int", "big", "ttl", "list", "hash", "iset", "set", "zset", "hll", "db3", "db3list",
    "after", "later", "n",
];

fn replica_of(node: bool, master: &Proc, extra: &[&str]) -> Proc {
    let port = master.port.to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", &port];
    args.extend_from_slice(extra);
    if node {
        start_node(&args)
    } else {
        start_redis(&args)
    }
}

/// Until every replica applied exactly what the master produced (both are
/// read each round: the master's periodic PING moves its offset).
fn wait_caught_up(master: &mut Raw, replicas: &mut [&mut Raw]) {
    for r in replicas.iter_mut() {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let want = info_field(master, "replication", "master_repl_offset");
            let got = info_field(r, "replication", "slave_repl_offset");
            if got == want {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the replica applied up to {got}, the master is at {want}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn writes_after_sync(m: &mut Raw) {
    m.cmd_str("SET after 1");
    m.cmd_str("SELECT 3");
    m.cmd_str("SET later 2");
    m.cmd_str("SELECT 0");
    m.cmd_str("DEL str");
    m.cmd_str("INCRBYFLOAT n 1.5");
    m.cmd_str("EXPIRE after 5000");
}

fn our_replica_of_real_master(diskless: &str) {
    let master = start_redis(&[
        "--repl-diskless-sync",
        diskless,
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut m = Raw::connect(master.port);
    populate(&mut m);
    let replica = replica_of(true, &master, &[]);
    let mut r = Raw::connect(replica.port);
    wait_link_up(&mut r);
    writes_after_sync(&mut m);
    wait_caught_up(&mut m, &mut [&mut r]);
    assert_eq!(dump_all(KEYS, &mut r), dump_all(KEYS, &mut m));
    assert_eq!(
        r.cmd_str("SET x 1"),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    // The master sees our ACKs.
    let offset = info_field(&mut m, "replication", "master_repl_offset");
    wait_for("our ACK", || {
        info_field(&mut m, "replication", "slave0").contains(&format!("offset={offset},"))
    });
    let role = r.cmd_str("ROLE");
    assert_eq!(
        role,
        format!(
            "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{}\r\n$9\r\nconnected\r\n:{offset}\r\n",
            master.port
        )
    );
}

#[test]
fn our_replica_full_sync_diskless() {
    our_replica_of_real_master("yes");
}

#[test]
fn our_replica_full_sync_disk() {
    our_replica_of_real_master("no");
}

/// INFO replication of our replica has a real replica's fields in order.
#[test]
fn replica_info_fields_match_a_real_replica() {
    let master = start_redis(&["--repl-diskless-sync-delay", "0"]);
    let mut m = Raw::connect(master.port);
    m.cmd_str("SET k v");
    let ours = replica_of(true, &master, &[]);
    let real = replica_of(false, &master, &[]);
    let mut a = Raw::connect(ours.port);
    let mut b = Raw::connect(real.port);
    wait_link_up(&mut a);
    wait_link_up(&mut b);
    wait_caught_up(&mut m, &mut [&mut a, &mut b]);
    let fields = |c: &mut Raw| -> Vec<String> {
        c.cmd_str("INFO replication")
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| match k {
                "master_port" | "master_replid" | "master_last_io_seconds_ago" => k.to_string(),
                "repl_backlog_first_byte_offset" | "repl_backlog_histlen" => k.to_string(),
                _ => format!("{k}:{v}"),
            })
            .collect()
    };
    assert_eq!(fields(&mut a), fields(&mut b));
    // And while the link is down.
    drop(master);
    wait_for("the link to go down", || {
        info_field(&mut a, "replication", "master_link_status") == "down"
    });
    wait_for("the real replica's link to go down", || {
        info_field(&mut b, "replication", "master_link_status") == "down"
    });
    let names = |c: &mut Raw| -> Vec<String> {
        c.cmd_str("INFO replication")
            .lines()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
            .collect()
    };
    assert_eq!(names(&mut a), names(&mut b));
}

#[test]
fn our_replica_continues_partially_after_a_dropped_link() {
    let master = start_redis(&["--repl-diskless-sync-delay", "0"]);
    let mut m = Raw::connect(master.port);
    populate(&mut m);
    let replica = replica_of(true, &master, &[]);
    let mut r = Raw::connect(replica.port);
    wait_link_up(&mut r);
    assert_eq!(m.cmd_str("CLIENT KILL TYPE replica"), ":1\r\n");
    m.cmd_str("SET after while-down");
    wait_for("the link to come back", || {
        info_field(&mut m, "replication", "connected_slaves") == "1"
    });
    wait_link_up(&mut r);
    writes_after_sync(&mut m);
    wait_caught_up(&mut m, &mut [&mut r]);
    assert_eq!(dump_all(KEYS, &mut r), dump_all(KEYS, &mut m));
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "1");
}

#[test]
fn our_master_our_replica() {
    let master = start_node(&["--repl-diskless-sync-delay", "0"]);
    let mut m = Raw::connect(master.port);
    populate(&mut m);
    let replica = replica_of(true, &master, &[]);
    let mut r = Raw::connect(replica.port);
    wait_link_up(&mut r);
    writes_after_sync(&mut m);
    wait_caught_up(&mut m, &mut [&mut r]);
    assert_eq!(dump_all(KEYS, &mut r), dump_all(KEYS, &mut m));
    assert_eq!(m.cmd_str("WAIT 1 0"), ":1\r\n");
}

/// real -> ours -> real: the sub-replica gets the top master's stream
/// through us, with one replid and one offset space.
#[test]
fn chain_real_ours_real() {
    let top = start_redis(&["--repl-diskless-sync-delay", "0"]);
    let mut m = Raw::connect(top.port);
    populate(&mut m);
    let mid = replica_of(true, &top, &["--repl-diskless-sync-delay", "0"]);
    let mut b = Raw::connect(mid.port);
    wait_link_up(&mut b);
    let leaf = replica_of(false, &mid, &[]);
    let mut c = Raw::connect(leaf.port);
    wait_link_up(&mut c);
    writes_after_sync(&mut m);
    wait_caught_up(&mut m, &mut [&mut b, &mut c]);
    let want = dump_all(KEYS, &mut m);
    assert_eq!(dump_all(KEYS, &mut b), want);
    assert_eq!(dump_all(KEYS, &mut c), want);
    let replid = info_field(&mut m, "replication", "master_replid");
    assert_eq!(info_field(&mut b, "replication", "master_replid"), replid);
    assert_eq!(info_field(&mut c, "replication", "master_replid"), replid);
}

/// A master fails over to one replica; the other continues from it with
/// +CONTINUE (no full sync), whichever of them is ours.
fn promotion(ours_promoted: bool) {
    let top = start_redis(&["--repl-diskless-sync-delay", "0"]);
    let mut m = Raw::connect(top.port);
    populate(&mut m);
    let p = replica_of(ours_promoted, &top, &["--repl-diskless-sync-delay", "0"]);
    let o = replica_of(!ours_promoted, &top, &[]);
    let mut pc = Raw::connect(p.port);
    let mut oc = Raw::connect(o.port);
    wait_link_up(&mut pc);
    wait_link_up(&mut oc);
    writes_after_sync(&mut m);
    wait_caught_up(&mut m, &mut [&mut pc, &mut oc]);
    let old_id = info_field(&mut m, "replication", "master_replid");
    drop(top);
    assert_eq!(pc.cmd_str("REPLICAOF NO ONE"), "+OK\r\n");
    assert_eq!(info_field(&mut pc, "replication", "role"), "master");
    assert_eq!(info_field(&mut pc, "replication", "master_replid2"), old_id);
    assert_eq!(
        oc.cmd_str(&format!("REPLICAOF 127.0.0.1 {}", p.port)),
        "+OK\r\n"
    );
    wait_link_up(&mut oc);
    pc.cmd_str("SET promoted yes");
    wait_caught_up(&mut pc, &mut [&mut oc]);
    assert_eq!(oc.cmd_str("GET promoted"), "$3\r\nyes\r\n");
    assert_eq!(
        info_field(&mut pc, "stats", "sync_full"),
        "0",
        "no full sync"
    );
    assert_eq!(info_field(&mut pc, "stats", "sync_partial_ok"), "1");
    assert_eq!(
        info_field(&mut oc, "replication", "master_replid"),
        info_field(&mut pc, "replication", "master_replid")
    );
    assert_eq!(dump_all(KEYS, &mut oc), dump_all(KEYS, &mut pc));
}

#[test]
fn promoting_ours_real_sibling_continues() {
    promotion(true);
}

#[test]
fn promoting_real_our_replica_continues() {
    promotion(false);
}

/// A fake master that completes the handshake and then sends `payload`
/// after +FULLRESYNC.
fn fake_master(payload: Vec<u8>) -> (u16, std::thread::JoinHandle<()>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let h = std::thread::spawn(move || {
        let Ok((s, _)) = l.accept() else { return };
        s.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let mut r = BufReader::new(s.try_clone().expect("clone"));
        let mut w = s;
        let mut psync_seen = false;
        while !psync_seen {
            // Read one multibulk request and answer it.
            let mut head = String::new();
            if r.read_line(&mut head).unwrap_or(0) == 0 {
                return;
            }
            let n: usize = head.trim_start_matches('*').trim().parse().unwrap_or(0);
            let mut args = Vec::new();
            for _ in 0..n {
                let mut len = String::new();
                r.read_line(&mut len).ok();
                let mut a = String::new();
                r.read_line(&mut a).ok();
                args.push(a.trim_end().to_ascii_uppercase());
            }
            let reply: &[u8] = match args.first().map(String::as_str) {
                Some("PING") => b"+PONG\r\n",
                Some("PSYNC") => {
                    psync_seen = true;
                    b"+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n"
                }
                _ => b"+OK\r\n",
            };
            w.write_all(reply).ok();
        }
        w.write_all(&payload).ok();
        std::thread::sleep(Duration::from_millis(500));
    });
    (port, h)
}

#[test]
fn garbage_from_the_master_keeps_the_data() {
    let node = start_node(&[]);
    let mut c = Raw::connect(node.port);
    c.cmd_str("SET keep me");
    let mut bad_rdb = b"$20\r\nREDIS0010garbage!!!!".to_vec();
    bad_rdb.truncate(5 + 20);
    let (port, h) = fake_master(bad_rdb);
    assert_eq!(c.cmd_str(&format!("REPLICAOF 127.0.0.1 {port}")), "+OK\r\n");
    h.join().expect("fake master");
    // The refused RDB changed nothing and the node serves on.
    assert_eq!(c.cmd_str("GET keep"), "$2\r\nme\r\n");
    assert_eq!(
        info_field(&mut c, "replication", "master_link_status"),
        "down"
    );
    let (port, h) = fake_master(b"*1\r\n$3\r\nnot a bulk at all\r\n".to_vec());
    c.cmd_str(&format!("REPLICAOF 127.0.0.1 {port}"));
    h.join().expect("fake master");
    assert_eq!(c.cmd_str("GET keep"), "$2\r\nme\r\n");
    assert_eq!(c.cmd_str("REPLICAOF NO ONE"), "+OK\r\n");
    assert_eq!(c.cmd_str("SET writable again"), "+OK\r\n");
    assert_eq!(
        c.cmd_str("REPLICAOF 127.0.0.1 notaport"),
        "-ERR Invalid master port\r\n"
    );
}

#[test]
fn announce_ip_and_port_reach_the_master() {
    let master = start_redis(&["--repl-diskless-sync-delay", "0"]);
    let mut m = Raw::connect(master.port);
    let replica = replica_of(
        true,
        &master,
        &[
            "--replica-announce-ip",
            "10.1.2.3",
            "--replica-announce-port",
            "7777",
            "--replica-priority",
            "42",
        ],
    );
    let mut r = Raw::connect(replica.port);
    wait_link_up(&mut r);
    assert!(
        info_field(&mut m, "replication", "slave0").starts_with("ip=10.1.2.3,port=7777,"),
        "{}",
        info_field(&mut m, "replication", "slave0")
    );
    assert_eq!(info_field(&mut r, "replication", "slave_priority"), "42");
}

#[test]
fn stale_data_refused_when_configured() {
    // Nothing listens on the master's port: the link stays down.
    let dead = common::free_port().to_string();
    let node = start_node(&[
        "--replicaof",
        "127.0.0.1",
        &dead,
        "--replica-serve-stale-data",
        "no",
    ]);
    let mut c = Raw::connect(node.port);
    assert_eq!(
        c.cmd_str("GET k"),
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
    );
    assert!(c
        .cmd_str("INFO replication")
        .contains("master_link_status:down"));
    let role = c.cmd_str("ROLE");
    let prefix = format!("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{dead}\r\n");
    let state = role
        .strip_prefix(&prefix)
        .and_then(|r| r.strip_suffix(":-1\r\n"))
        .unwrap_or_else(|| panic!("{role:?}"));
    assert!(
        ["$7\r\nconnect\r\n", "$10\r\nconnecting\r\n"].contains(&state),
        "{role:?}"
    );
    assert_eq!(
        c.cmd_str("CONFIG SET replica-serve-stale-data yes"),
        "+OK\r\n"
    );
    assert_eq!(c.cmd_str("GET k"), "$-1\r\n");
}

/// A replica saves its master's history in its RDB and, restarted, asks
/// for the rest of the stream (+CONTINUE) instead of a full sync.
#[test]
fn restarted_replica_continues_from_its_rdb() {
    let master = start_redis(&["--repl-diskless-sync-delay", "0"]);
    let mut m = Raw::connect(master.port);
    populate(&mut m);
    let dir = std::env::temp_dir().join(format!("rrs-test-replica-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let d = dir.to_string_lossy().into_owned();
    let port = master.port.to_string();
    let args = ["--replicaof", "127.0.0.1", &port, "--dir", &d];
    {
        let replica = start_node(&args);
        let mut r = Raw::connect(replica.port);
        wait_link_up(&mut r);
        writes_after_sync(&mut m);
        wait_caught_up(&mut m, &mut [&mut r]);
        assert_eq!(r.cmd_str("SAVE"), "+OK\r\n");
    }
    m.cmd_str("SET written while-the-replica-was-down");
    let replica = start_node(&args);
    let mut r = Raw::connect(replica.port);
    wait_for("the restarted replica's link", || {
        info_field(&mut r, "replication", "master_link_status") == "up"
    });
    wait_caught_up(&mut m, &mut [&mut r]);
    assert_eq!(dump_all(KEYS, &mut r), dump_all(KEYS, &mut m));
    assert_eq!(
        r.cmd_str("GET written"),
        "$26\r\nwhile-the-replica-was-down\r\n"
    );
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "1");
    let _ = std::fs::remove_dir_all(&dir);
}
