//! The redis.conf settings a user may set through `spec.config`.
//!
//! Settings the operator owns are not here: ports and addresses, the replication
//! topology (replicaof, announce addresses), passwords, persistence files and paths,
//! min-replicas-to-write (its own spec field) and process settings such as daemonize.
//! Setting one of those by hand would break failover or the pods' wiring.

/// Allowed keys of `spec.config`, in the order the CEL message lists them.
pub const ALLOWED: &[&str] = &[
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "maxmemory-eviction-tenacity",
    "maxclients",
    "timeout",
    "tcp-keepalive",
    "databases",
    "hz",
    "dynamic-hz",
    "active-expire-effort",
    "activerehashing",
    "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del",
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "notify-keyspace-events",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "latency-monitor-threshold",
    "loglevel",
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "list-max-listpack-size",
    "list-compress-depth",
    "set-max-intset-entries",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "repl-backlog-size",
    "repl-backlog-ttl",
    "repl-timeout",
    "repl-ping-replica-period",
    "repl-diskless-sync",
    "repl-diskless-sync-delay",
    "min-replicas-max-lag",
    "appendfsync",
];

/// The CEL rule over the `spec.config` map: every key is in [`ALLOWED`].
pub fn allowlist_rule() -> String {
    format!("self.all(k, k in [{}])", quoted_list())
}

/// The message of [`allowlist_rule`]: names the offending keys and the allowed ones.
pub fn allowlist_message_expression() -> String {
    format!(
        "'config keys not allowed: ' + self.filter(k, !(k in [{}])).join(', ') + '. Allowed keys: {}. Ports, replication, passwords and persistence are managed by the operator through other spec fields.'",
        quoted_list(),
        ALLOWED.join(", ")
    )
}

/// The CEL rule that keeps every value on one line (a newline would start another
/// redis.conf directive).
pub const SINGLE_LINE_RULE: &str =
    "self.all(k, !self[k].contains('\\n') && !self[k].contains('\\r'))";
/// Message of [`SINGLE_LINE_RULE`].
pub const SINGLE_LINE_MESSAGE: &str = "config values must be on a single line";

fn quoted_list() -> String {
    ALLOWED
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_lowercase_and_quotable() {
        let mut seen = std::collections::BTreeSet::new();
        for k in ALLOWED {
            assert!(seen.insert(*k), "duplicate {k}");
            assert!(
                k.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{k} would need escaping in the CEL list"
            );
        }
    }

    #[test]
    fn operator_owned_settings_are_refused() {
        for k in [
            "port",
            "replicaof",
            "requirepass",
            "masterauth",
            "dir",
            "min-replicas-to-write",
        ] {
            assert!(!ALLOWED.contains(&k), "{k} is owned by the operator");
        }
    }
}
