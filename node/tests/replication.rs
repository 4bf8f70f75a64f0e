//! Replication interop, master side: a real redis-server 7.0 replicating
//! from our node (full sync disk and diskless with data of every type and
//! expiry, the stream after it, partial resync after a dropped link, WAIT,
//! min-replicas-to-write), and dual tests that run the same body against our
//! node and a real redis-server master (INFO/ROLE shapes, EOF framing, a
//! replica that stops reading).

#[macro_use]
mod common;

use common::repl::{dump_all, info_field, populate, wait_for, wait_link_up};
use common::{start_node, start_redis, start_target, FakeReplica, Proc, Raw, Target};

/// What a key holds, read the same way from both servers.
/// The keys POPULATE and the tests' later writes use.
const KEYS: &[&str] = &[
    "str", "int", "big", "ttl", "list", "hash", "iset", "set", "zset", "hll", "db3", "db3list",
    "after", "later",
];

fn start_real_replica(master: &Proc) -> Proc {
    start_redis(&["--replicaof", "127.0.0.1", &master.port.to_string()])
}

/// Our master, a real replica: the dataset arrives whole and the stream
/// keeps it in step.
fn real_replica_follows(diskless: &str) {
    let master = start_node(&[
        "--repl-diskless-sync",
        diskless,
        "--repl-diskless-sync-delay",
        "0",
        "--repl-ping-replica-period",
        "3600",
    ]);
    let mut m = Raw::connect(master.port);
    populate(&mut m);
    let replica = start_real_replica(&master);
    let mut r = Raw::connect(replica.port);
    wait_link_up(&mut r);
    m.cmd_str("SET after 1");
    m.cmd_str("SELECT 3");
    m.cmd_str("SET later 2");
    m.cmd_str("SELECT 0");
    m.cmd_str("DEL str");
    let offset = info_field(&mut m, "replication", "master_repl_offset");
    wait_for("the replica to apply the stream", || {
        info_field(&mut r, "replication", "slave_repl_offset") == offset
    });
    assert_eq!(dump_all(KEYS, &mut r), dump_all(KEYS, &mut m));
    // The replica's ACKs reach INFO and ROLE.
    wait_for("an ACK of the whole stream", || {
        info_field(&mut m, "replication", "slave0").contains(&format!("offset={offset},"))
    });
    let role = m.cmd_str("ROLE");
    assert!(
        role.starts_with(&format!(
            "*3\r\n$6\r\nmaster\r\n:{offset}\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n"
        )),
        "{role:?}"
    );
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
}

#[test]
fn real_replica_full_sync_disk() {
    real_replica_follows("no");
}

#[test]
fn real_replica_full_sync_diskless() {
    real_replica_follows("yes");
}

#[test]
fn real_replica_continues_partially_after_a_dropped_link() {
    // No periodic PING: the offsets compared below stay put.
    let master = start_node(&[
        "--repl-diskless-sync-delay",
        "0",
        "--repl-ping-replica-period",
        "3600",
    ]);
    let mut m = Raw::connect(master.port);
    populate(&mut m);
    let replica = start_real_replica(&master);
    let mut r = Raw::connect(replica.port);
    wait_link_up(&mut r);
    // The replica drops its link; writes go on meanwhile.
    assert_eq!(r.cmd_str("CLIENT KILL TYPE master"), ":1\r\n");
    m.cmd_str("SET after while-down");
    wait_link_up(&mut r);
    m.cmd_str("SET later 1");
    let offset = info_field(&mut m, "replication", "master_repl_offset");
    wait_for("the replica to catch up", || {
        info_field(&mut r, "replication", "slave_repl_offset") == offset
    });
    assert_eq!(dump_all(KEYS, &mut r), dump_all(KEYS, &mut m));
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "1");
}

#[test]
fn wait_and_min_replicas_with_a_real_replica() {
    // No periodic PING: the offsets compared below stay put.
    let master = start_node(&[
        "--repl-diskless-sync-delay",
        "0",
        "--repl-ping-replica-period",
        "3600",
    ]);
    let mut m = Raw::connect(master.port);
    assert_eq!(m.cmd_str("WAIT 0 0"), ":0\r\n");
    m.cmd_str("SET k v");
    assert_eq!(
        m.cmd_str("WAIT 1 50"),
        ":0\r\n",
        "no replica yet: the timeout answers"
    );
    assert_eq!(m.cmd_str("CONFIG SET min-replicas-to-write 1"), "+OK\r\n");
    assert_eq!(
        m.cmd_str("SET k v2"),
        "-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    let replica = start_real_replica(&master);
    let mut r = Raw::connect(replica.port);
    wait_link_up(&mut r);
    wait_for("a good replica", || {
        info_field(&mut m, "replication", "min_slaves_good_slaves") == "1"
    });
    assert_eq!(m.cmd_str("SET k v3"), "+OK\r\n");
    // WAIT blocks until the replica acknowledged this client's write.
    assert_eq!(m.cmd_str("WAIT 1 0"), ":1\r\n");
    assert_eq!(r.cmd_str("GET k"), "$2\r\nv3\r\n");
    assert_eq!(m.cmd_str("WAIT 2 100"), ":1\r\n");
    assert_eq!(m.cmd_str("WAIT 1 -1"), "-ERR timeout is negative\r\n");
}

/// The INFO replication field names, in order, with values masked.
fn replication_fields(c: &mut Raw) -> Vec<String> {
    c.cmd_str("INFO replication")
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
        .filter(|k| !k.is_empty())
        .collect()
}

/// A fake replica on both masters: the same handshake replies, INFO
/// fields in the same order, EOF framing when diskless, the RDB header.
fn master_shapes(t: Target) {
    let p = start_target(t, &["--repl-diskless-sync-delay", "0"]);
    let mut c = Raw::connect(p.port);
    let before = replication_fields(&mut c);
    assert_eq!(
        before,
        [
            "role",
            "connected_slaves",
            "master_failover_state",
            "master_replid",
            "master_replid2",
            "master_repl_offset",
            "second_repl_offset",
            "repl_backlog_active",
            "repl_backlog_size",
            "repl_backlog_first_byte_offset",
            "repl_backlog_histlen"
        ]
    );
    assert_eq!(
        info_field(&mut c, "replication", "repl_backlog_active"),
        "0"
    );
    c.cmd_str("SET k v");
    assert_eq!(c.cmd_str("REPLCONF listening-port 7777"), "+OK\r\n");
    assert_eq!(
        c.cmd_str("REPLCONF bogus 1"),
        "-ERR Unrecognized REPLCONF option: bogus\r\n"
    );
    assert_eq!(c.cmd_str("REPLCONF ack"), "-ERR syntax error\r\n");
    assert_eq!(
        c.cmd_str("PSYNC a b FAILOVER"),
        "-ERR PSYNC FAILOVER can't be sent to a master.\r\n"
    );
    let mut rep = FakeReplica::full_sync(p.port, true);
    assert!(rep.rdb.starts_with(b"REDIS0010"), "RDB header");
    let parts: Vec<&str> = rep.reply.split(' ').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[1].len(), 40);
    assert_eq!(parts[1], info_field(&mut c, "replication", "master_replid"));
    assert_eq!(parts[2], "0", "the backlog starts with the first replica");
    c.cmd_str("SET k2 v2");
    assert_eq!(rep.next_command(), vec![b"SELECT".to_vec(), b"0".to_vec()]);
    assert_eq!(
        rep.next_command(),
        vec![b"SET".to_vec(), b"k2".to_vec(), b"v2".to_vec()]
    );
    rep.send(&[b"REPLCONF", b"ACK", b"37"]);
    wait_for("the ACK", || {
        info_field(&mut c, "replication", "slave0")
            == "ip=127.0.0.1,port=1,state=online,offset=37,lag=0"
    });
    let after = replication_fields(&mut c);
    assert_eq!(after[..3], ["role", "connected_slaves", "slave0"]);
    assert_eq!(after[3..], before[2..]);
    assert_eq!(
        info_field(&mut c, "replication", "repl_backlog_histlen"),
        "52"
    );
    assert_eq!(
        info_field(&mut c, "replication", "repl_backlog_first_byte_offset"),
        "1"
    );
    assert_eq!(
        c.cmd_str("ROLE"),
        "*3\r\n$6\r\nmaster\r\n:52\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n$1\r\n1\r\n$2\r\n37\r\n"
    );
}
dual_test!(master_shapes_match, master_shapes);

/// A replica that stops reading is cut off once it lags past the replica
/// client-output-buffer-limit, and the master keeps serving.
fn lagging_replica_is_dropped(t: Target) {
    let p = start_target(
        t,
        &[
            "--repl-diskless-sync-delay",
            "0",
            "--client-output-buffer-limit",
            "replica 1mb 0 0",
        ],
    );
    let mut c = Raw::connect(p.port);
    let _rep = FakeReplica::full_sync(p.port, false);
    assert_eq!(info_field(&mut c, "replication", "connected_slaves"), "1");
    let value = "x".repeat(100_000);
    let mut n = 0;
    wait_for("the lagging replica to be dropped", || {
        for _ in 0..20 {
            c.cmd(&[b"SET", format!("k{n}").as_bytes(), value.as_bytes()]);
            n += 1;
        }
        info_field(&mut c, "replication", "connected_slaves") == "0"
    });
    assert_eq!(c.cmd_str("PING"), "+PONG\r\n");
}
dual_test!(lagging_replica_dropped, lagging_replica_is_dropped);

/// Our master saves its history with its data; restarted on the same port,
/// its real replica continues with +CONTINUE (no full sync), as with a
/// restarted redis-server 7.0 master.
#[test]
fn real_replica_continues_after_our_master_restarts() {
    let args = [
        "--repl-diskless-sync-delay",
        "0",
        "--repl-ping-replica-period",
        "3600",
    ];
    let mut master = start_node(&args);
    let mut m = Raw::connect(master.port);
    populate(&mut m);
    let replica = start_real_replica(&master);
    let mut r = Raw::connect(replica.port);
    wait_link_up(&mut r);
    m.cmd_str("SET after 1");
    let offset = info_field(&mut m, "replication", "master_repl_offset");
    wait_for("the replica to apply the stream", || {
        info_field(&mut r, "replication", "slave_repl_offset") == offset
    });
    assert_eq!(m.cmd_str("SAVE"), "+OK\r\n");
    drop(m);
    master.restart_node(&args);
    let mut m = Raw::connect(master.port);
    wait_for("the restarted master to load", || {
        m.cmd_str("GET after") == "$1\r\n1\r\n"
    });
    m.cmd_str("SET later restarted");
    wait_link_up(&mut r);
    let offset = info_field(&mut m, "replication", "master_repl_offset");
    wait_for("the replica to catch up", || {
        info_field(&mut r, "replication", "slave_repl_offset") == offset
    });
    assert_eq!(dump_all(KEYS, &mut r), dump_all(KEYS, &mut m));
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "0");
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "1");
}
