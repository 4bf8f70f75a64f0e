//! INFO structure against redis-server 7.0: the same sections in the same order,
//! the same field names in the same order for `INFO everything`, values ignored.
//! Intentional extras: `rrs_version` (Server). Per-command, per-error and
//! per-db lines depend on what ran, so only their prefixes are checked.

mod common;

use common::{have_redis, start_node, start_redis, Raw};

/// Section headers and field names, with state-dependent lines left out.
fn shape(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    text.split("\r\n")
        .skip(1) // the bulk/verbatim length line
        .map(|l| l.strip_prefix("txt:").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .map(|l| l.split(':').next().unwrap_or_default().to_string())
        .filter(|f| f != "rrs_version")
        .filter(|f| {
            !(f.starts_with("cmdstat_")
                || f.starts_with("errorstat_")
                || f.starts_with("latency_percentiles_usec_")
                || (f.starts_with("db") && f[2..].chars().all(|c| c.is_ascii_digit())))
        })
        .collect()
}

#[test]
fn info_everything_has_redis_fields_in_order() {
    assert!(
        have_redis(),
        "redis-server 7.0 is required: run scripts/test"
    );
    let node = start_node(&[]);
    let redis = start_redis(&[]);
    let mut a = Raw::connect(node.port);
    let mut b = Raw::connect(redis.port);
    for sel in [
        &[&b"INFO"[..], b"everything"][..],
        &[b"INFO"],
        &[b"INFO", b"all"],
        &[b"INFO", b"default"],
        &[b"INFO", b"keyspace", b"SERVER", b"cpu"],
        &[b"INFO", b"commandstats", b"latencystats", b"errorstats"],
    ] {
        let ours = shape(&a.cmd(sel));
        let theirs = shape(&b.cmd(sel));
        assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(&sel.concat()));
    }
    let ours = String::from_utf8_lossy(&a.cmd(&[b"INFO", b"server"])).into_owned();
    assert!(ours.contains("\r\nredis_version:7.0.15\r\n"), "{ours}");
    assert!(ours.contains(&format!(
        "\r\nrrs_version:{}\r\n",
        env!("CARGO_PKG_VERSION")
    )));
    // RESP3: a verbatim string on both.
    a.cmd(&[b"HELLO", b"3"]);
    b.cmd(&[b"HELLO", b"3"]);
    let ours = a.cmd(&[b"INFO", b"cluster"]);
    let theirs = b.cmd(&[b"INFO", b"cluster"]);
    assert_eq!(ours, theirs);
    assert_eq!(ours.first(), Some(&b'='));
}

#[test]
fn latencystats_and_commandstats_follow_calls() {
    let node = start_node(&[]);
    let mut c = Raw::connect(node.port);
    c.cmd_str("CONFIG RESETSTAT");
    c.cmd_str("CONFIG GET hz");
    c.cmd_str("CONFIG GET");
    let stats = c.cmd_str("INFO commandstats");
    assert!(
        stats.contains("cmdstat_config|get:calls=1,")
            && stats.contains("rejected_calls=1,failed_calls=0"),
        "{stats}"
    );
    let lat = c.cmd_str("INFO latencystats");
    assert!(
        lat.contains("latency_percentiles_usec_config|get:p50="),
        "{lat}"
    );
    assert!(lat.contains(",p99=") && lat.contains(",p99.9="), "{lat}");
    c.cmd_str("CONFIG SET latency-tracking-info-percentiles 50");
    let lat = c.cmd_str("INFO latencystats");
    assert!(!lat.contains(",p99="), "{lat}");
    // With tracking off the section is empty, as in Redis.
    c.cmd_str("CONFIG SET latency-tracking no");
    let lat = c.cmd_str("INFO latencystats");
    assert_eq!(lat, "$16\r\n# Latencystats\r\n\r\n");
    c.cmd_str("CONFIG RESETSTAT");
    let err = c.cmd_str("INFO errorstats");
    assert_eq!(err, "$14\r\n# Errorstats\r\n\r\n");
}

/// The value of `field` in an INFO reply.
fn field(info: &str, name: &str) -> String {
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn values_follow_the_keyspace_like_redis() {
    assert!(
        have_redis(),
        "redis-server 7.0 is required: run scripts/test"
    );
    let node = start_node(&[]);
    let redis = start_redis(&[]);
    for port in [node.port, redis.port] {
        let mut c = Raw::connect(port);
        c.cmd_str("FLUSHALL");
        c.cmd_str("CONFIG RESETSTAT");
        c.cmd_str("SET k v");
        c.cmd_str("SET k2 v");
        c.cmd_str("GET k");
        c.cmd_str("GET nokey");
        c.cmd_str("NOSUCHCMD");
        let info = c.cmd_str("INFO everything");
        assert_eq!(field(&info, "keyspace_hits"), "1", "{port}");
        assert_eq!(field(&info, "keyspace_misses"), "1", "{port}");
        assert_eq!(field(&info, "total_error_replies"), "1", "{port}");
        assert_eq!(field(&info, "errorstat_ERR"), "count=1", "{port}");
        assert_eq!(field(&info, "db0"), "keys=2,expires=0,avg_ttl=0", "{port}");
        assert_eq!(field(&info, "role"), "master");
        assert_eq!(field(&info, "redis_version"), "7.0.15");
        assert!(
            field(&info, "cmdstat_set").starts_with("calls=2,"),
            "{info}"
        );
        assert!(
            field(&info, "cmdstat_get").starts_with("calls=2,"),
            "{info}"
        );
        assert!(
            field(&info, "latency_percentiles_usec_get").starts_with("p50="),
            "{info}"
        );
        assert_eq!(field(&info, "master_replid").len(), 40);
        assert_eq!(field(&info, "tcp_port"), port.to_string());
        let dirty: u64 = field(&info, "rdb_changes_since_last_save")
            .parse()
            .unwrap_or(0);
        assert!(dirty >= 2, "{port}: {dirty}");
    }
}
