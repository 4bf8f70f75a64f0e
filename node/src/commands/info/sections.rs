//! The generators of each INFO section. Field names and order follow Redis
//! 7.0.15's genRedisInfoString; values that have no counterpart here are the
//! honest constant (0, "no", "jemalloc-5.3.0").

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::super::Ctx;
use super::sys;

/// Appends `name:value\r\n`.
macro_rules! field {
    ($out:expr, $name:literal, $($v:tt)+) => {{
        let _ = write!($out, concat!($name, ":{}\r\n"), $($v)+);
    }};
}

/// bytesToHuman: 1023B, 1.00K, 967.55K, 6.35M ...
pub fn human(n: u64) -> String {
    const UNITS: &[(f64, &str)] = &[
        (1024.0, "K"),
        (1024.0 * 1024.0, "M"),
        (1024.0 * 1024.0 * 1024.0, "G"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0, "T"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "P"),
    ];
    if n < 1024 {
        return format!("{n}B");
    }
    let d = n as f64;
    for (i, (div, unit)) in UNITS.iter().enumerate() {
        if i + 1 == UNITS.len() || d < div * 1024.0 {
            return format!("{:.2}{unit}", d / div);
        }
    }
    format!("{n}B")
}

pub fn write(name: &str, ctx: &mut Ctx, out: &mut String) {
    match name {
        "server" => server(ctx, out),
        "clients" => clients(ctx, out),
        "memory" => memory(ctx, out),
        "persistence" => persistence(ctx, out),
        "stats" => stats(ctx, out),
        "replication" => replication(ctx, out),
        "cpu" => cpu(out),
        "modules" => out.push_str("# Modules\r\n"),
        "commandstats" => commandstats(ctx, out),
        "errorstats" => errorstats(ctx, out),
        "latencystats" => latencystats(ctx, out),
        "cluster" => {
            out.push_str("# Cluster\r\n");
            field!(out, "cluster_enabled", 0);
        }
        "keyspace" => keyspace(ctx, out),
        _ => {}
    }
}

fn server(ctx: &mut Ctx, out: &mut String) {
    let srv = ctx.server;
    let cfg = &ctx.st.config;
    let uptime = srv.uptime_secs();
    out.push_str("# Server\r\n");
    field!(out, "redis_version", crate::REDIS_VERSION);
    field!(out, "redis_git_sha1", "00000000");
    field!(out, "redis_git_dirty", 0);
    field!(out, "redis_build_id", "0");
    field!(out, "redis_mode", "standalone");
    field!(out, "os", sys::os());
    field!(out, "arch_bits", usize::BITS);
    field!(out, "monotonic_clock", "POSIX clock_gettime");
    field!(out, "multiplexing_api", "epoll");
    field!(out, "atomicvar_api", "c11-builtin");
    // Not built by GCC: Redis prints 0.0.0 then.
    field!(out, "gcc_version", "0.0.0");
    field!(out, "process_id", std::process::id());
    field!(out, "process_supervised", "no");
    field!(out, "run_id", srv.run_id);
    field!(out, "tcp_port", srv.port.load(Ordering::Relaxed));
    field!(out, "server_time_usec", crate::util::now_us());
    field!(out, "uptime_in_seconds", uptime);
    field!(out, "uptime_in_days", uptime / 86400);
    field!(out, "hz", cfg.hz);
    field!(out, "configured_hz", cfg.hz);
    field!(out, "lru_clock", ctx.st.ks.lru_clock());
    field!(out, "executable", srv.executable);
    let conf = srv
        .config_file
        .as_ref()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
        .unwrap_or_default();
    field!(out, "config_file", conf);
    field!(out, "io_threads_active", 0);
    // Extra: this server's own version.
    field!(out, "rrs_version", env!("CARGO_PKG_VERSION"));
}

fn clients(ctx: &mut Ctx, out: &mut String) {
    let st = &ctx.st;
    let (mut max_in, mut max_out, mut blocked) = (0, 0, 0);
    for c in st.clients.values() {
        let m = c.meta.lock();
        max_in = max_in.max(m.qbuf);
        max_out = max_out.max(m.omem);
        blocked += m.blocked as usize;
    }
    out.push_str("# Clients\r\n");
    field!(out, "connected_clients", st.clients.len());
    field!(out, "cluster_connections", 0);
    field!(out, "maxclients", st.config.maxclients);
    field!(out, "client_recent_max_input_buffer", max_in);
    field!(out, "client_recent_max_output_buffer", max_out);
    field!(out, "blocked_clients", blocked);
    field!(out, "tracking_clients", 0);
    field!(out, "clients_in_timeout_table", st.blocked.with_timeout());
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "0.00".into()
    } else {
        format!("{:.2}", a as f64 / b as f64)
    }
}

fn memory(ctx: &mut Ctx, out: &mut String) {
    let cfg = &ctx.st.config;
    let used = crate::used_memory() as u64;
    let peak = super::super::admin::peak_memory(used as usize) as u64;
    let startup = (ctx.server.startup_allocated as u64).min(used);
    let rss = sys::rss();
    let total = sys::total_system_memory();
    let zero = "0B";
    out.push_str("# Memory\r\n");
    field!(out, "used_memory", used);
    field!(out, "used_memory_human", human(used));
    field!(out, "used_memory_rss", rss);
    field!(out, "used_memory_rss_human", human(rss));
    field!(out, "used_memory_peak", peak);
    field!(out, "used_memory_peak_human", human(peak));
    let peak_perc = if peak == 0 {
        0.0
    } else {
        used as f64 * 100.0 / peak as f64
    };
    field!(out, "used_memory_peak_perc", format!("{peak_perc:.2}%"));
    // Overhead is counted as what the server used at startup; the rest is dataset.
    let dataset = used - startup;
    field!(out, "used_memory_overhead", startup);
    field!(out, "used_memory_startup", startup);
    field!(out, "used_memory_dataset", dataset);
    let net = used - startup;
    let perc = if net == 0 {
        0.0
    } else {
        dataset as f64 * 100.0 / net as f64
    };
    field!(out, "used_memory_dataset_perc", format!("{perc:.2}%"));
    field!(out, "allocator_allocated", used);
    field!(out, "allocator_active", used);
    field!(out, "allocator_resident", rss);
    field!(out, "total_system_memory", total);
    field!(out, "total_system_memory_human", human(total));
    // No scripting engine: no Lua or function memory.
    field!(out, "used_memory_lua", 0);
    field!(out, "used_memory_vm_eval", 0);
    field!(out, "used_memory_lua_human", zero);
    field!(out, "used_memory_scripts_eval", 0);
    field!(out, "number_of_cached_scripts", 0);
    field!(out, "number_of_functions", 0);
    field!(out, "number_of_libraries", 0);
    field!(out, "used_memory_vm_functions", 0);
    field!(out, "used_memory_vm_total", 0);
    field!(out, "used_memory_vm_total_human", zero);
    field!(out, "used_memory_functions", 0);
    field!(out, "used_memory_scripts", 0);
    field!(out, "used_memory_scripts_human", zero);
    field!(out, "maxmemory", cfg.maxmemory);
    field!(out, "maxmemory_human", human(cfg.maxmemory.max(0) as u64));
    field!(out, "maxmemory_policy", cfg.maxmemory_policy.name());
    field!(out, "allocator_frag_ratio", ratio(used, used));
    field!(out, "allocator_frag_bytes", 0);
    field!(out, "allocator_rss_ratio", ratio(rss, used));
    field!(out, "allocator_rss_bytes", rss as i64 - used as i64);
    field!(out, "rss_overhead_ratio", ratio(rss, rss));
    field!(out, "rss_overhead_bytes", 0);
    field!(out, "mem_fragmentation_ratio", ratio(rss, used));
    field!(out, "mem_fragmentation_bytes", rss as i64 - used as i64);
    field!(out, "mem_not_counted_for_evict", 0);
    field!(out, "mem_replication_backlog", 0);
    field!(out, "mem_total_replication_buffers", 0);
    field!(out, "mem_clients_slaves", 0);
    let normal: usize = ctx.st.clients.values().map(|c| c.meta.lock().tot_mem).sum();
    field!(out, "mem_clients_normal", normal);
    field!(out, "mem_cluster_links", 0);
    field!(out, "mem_aof_buffer", 0);
    field!(out, "mem_allocator", "jemalloc-5.3.0");
    field!(out, "active_defrag_running", 0);
    field!(out, "lazyfree_pending_objects", 0);
    field!(out, "lazyfreed_objects", 0);
}

fn persistence(ctx: &mut Ctx, out: &mut String) {
    let st = &ctx.st;
    out.push_str("# Persistence\r\n");
    let p = &st.persist;
    field!(out, "loading", p.loading as i32);
    field!(out, "async_loading", 0);
    field!(out, "current_cow_peak", 0);
    field!(out, "current_cow_size", 0);
    field!(out, "current_cow_size_age", 0);
    field!(out, "current_fork_perc", "0.00");
    field!(out, "current_save_keys_processed", 0);
    field!(out, "current_save_keys_total", 0);
    field!(out, "rdb_changes_since_last_save", st.ks.dirty);
    field!(out, "rdb_bgsave_in_progress", p.bgsave_in_progress as i32);
    field!(out, "rdb_last_save_time", st.lastsave);
    field!(
        out,
        "rdb_last_bgsave_status",
        if p.last_bgsave_failed { "err" } else { "ok" }
    );
    field!(
        out,
        "rdb_last_bgsave_time_sec",
        p.last_bgsave_time_sec.unwrap_or(-1)
    );
    let current = if p.bgsave_in_progress {
        (crate::util::now_ms() - p.bgsave_started_ms) / 1000
    } else {
        -1
    };
    field!(out, "rdb_current_bgsave_time_sec", current);
    field!(out, "rdb_saves", p.saves);
    field!(out, "rdb_last_cow_size", 0);
    field!(out, "rdb_last_load_keys_expired", p.last_load_keys_expired);
    field!(out, "rdb_last_load_keys_loaded", p.last_load_keys_loaded);
    field!(out, "aof_enabled", 0);
    field!(out, "aof_rewrite_in_progress", 0);
    field!(out, "aof_rewrite_scheduled", 0);
    field!(out, "aof_last_rewrite_time_sec", -1);
    field!(out, "aof_current_rewrite_time_sec", -1);
    field!(out, "aof_last_bgrewrite_status", "ok");
    field!(out, "aof_rewrites", 0);
    field!(out, "aof_rewrites_consecutive_failures", 0);
    field!(out, "aof_last_write_status", "ok");
    field!(out, "aof_last_cow_size", 0);
    field!(out, "module_fork_in_progress", 0);
    field!(out, "module_fork_last_cow_size", 0);
}

fn stats(ctx: &mut Ctx, out: &mut String) {
    let st = &ctx.st;
    let s = &st.stats;
    let ks = &st.ks.stats;
    let (mut live_in, mut live_out) = (0, 0);
    for c in st.clients.values() {
        live_in += c.net_in.load(Ordering::Relaxed);
        live_out += c.net_out.load(Ordering::Relaxed);
    }
    out.push_str("# Stats\r\n");
    field!(
        out,
        "total_connections_received",
        s.total_connections_received
    );
    field!(out, "total_commands_processed", s.total_commands_processed);
    field!(out, "instantaneous_ops_per_sec", s.ops_rate.rate() as u64);
    field!(out, "total_net_input_bytes", s.net_input_bytes + live_in);
    field!(out, "total_net_output_bytes", s.net_output_bytes + live_out);
    field!(out, "total_net_repl_input_bytes", 0);
    field!(out, "total_net_repl_output_bytes", 0);
    field!(
        out,
        "instantaneous_input_kbps",
        format!("{:.2}", s.net_in_rate.rate() / 1024.0)
    );
    field!(
        out,
        "instantaneous_output_kbps",
        format!("{:.2}", s.net_out_rate.rate() / 1024.0)
    );
    field!(out, "instantaneous_input_repl_kbps", "0.00");
    field!(out, "instantaneous_output_repl_kbps", "0.00");
    field!(out, "rejected_connections", s.rejected_connections);
    field!(out, "sync_full", ctx.st.repl.sync_full);
    field!(out, "sync_partial_ok", ctx.st.repl.sync_partial_ok);
    field!(out, "sync_partial_err", ctx.st.repl.sync_partial_err);
    field!(out, "expired_keys", ks.expired);
    field!(
        out,
        "expired_stale_perc",
        format!("{:.2}", ks.expired_stale_perc * 100.0)
    );
    field!(
        out,
        "expired_time_cap_reached_count",
        ks.expired_time_cap_reached
    );
    field!(out, "expire_cycle_cpu_milliseconds", ks.expire_cycle_cpu_ms);
    field!(out, "evicted_keys", ks.evicted);
    field!(out, "evicted_clients", s.evicted_clients);
    field!(
        out,
        "total_eviction_exceeded_time",
        s.total_eviction_exceeded_time_ms
    );
    field!(out, "current_eviction_exceeded_time", 0);
    field!(out, "keyspace_hits", ks.hits);
    field!(out, "keyspace_misses", ks.misses);
    let (channels, patterns, shard) = ctx.st.pubsub.sizes();
    field!(out, "pubsub_channels", channels);
    field!(out, "pubsub_patterns", patterns);
    field!(out, "pubsubshard_channels", shard);
    field!(out, "latest_fork_usec", 0);
    field!(out, "total_forks", 0);
    field!(out, "migrate_cached_sockets", 0);
    field!(out, "slave_expires_tracked_keys", 0);
    field!(out, "active_defrag_hits", 0);
    field!(out, "active_defrag_misses", 0);
    field!(out, "active_defrag_key_hits", 0);
    field!(out, "active_defrag_key_misses", 0);
    field!(out, "total_active_defrag_time", 0);
    field!(out, "current_active_defrag_time", 0);
    field!(out, "tracking_total_keys", 0);
    field!(out, "tracking_total_items", 0);
    field!(out, "tracking_total_prefixes", 0);
    field!(out, "unexpected_error_replies", s.unexpected_error_replies);
    field!(out, "total_error_replies", s.total_error_replies);
    field!(out, "dump_payload_sanitizations", 0);
    field!(out, "total_reads_processed", s.total_reads_processed);
    field!(out, "total_writes_processed", s.total_writes_processed);
    field!(
        out,
        "io_threaded_reads_processed",
        s.io_threaded_reads_processed
    );
    field!(
        out,
        "io_threaded_writes_processed",
        s.io_threaded_writes_processed
    );
    field!(out, "reply_buffer_shrinks", 0);
    field!(out, "reply_buffer_expands", 0);
}

fn replication(ctx: &mut Ctx, out: &mut String) {
    let st = &*ctx.st;
    let r = &st.repl;
    let now = crate::util::now_ms();
    out.push_str("# Replication\r\n");
    match &r.master {
        None => field!(out, "role", "master"),
        Some(m) => replica_fields(st, m, now, out),
    }
    field!(out, "connected_slaves", r.replicas.len());
    if crate::replication::master::min_replicas_on(st) {
        field!(
            out,
            "min_slaves_good_slaves",
            crate::replication::master::good_replicas(st, now)
        );
    }
    for (i, l) in r.replicas.iter().enumerate() {
        let lag = if l.online() { l.lag_secs(now) } else { 0 };
        let _ = write!(
            out,
            "slave{i}:ip={},port={},state={},offset={},lag={lag}\r\n",
            l.ip,
            l.port,
            l.state_name(),
            l.ack_off.load(Ordering::Relaxed)
        );
    }
    field!(out, "master_failover_state", "no-failover");
    field!(out, "master_replid", r.replid);
    field!(out, "master_replid2", r.replid2);
    field!(out, "master_repl_offset", r.offset);
    field!(out, "second_repl_offset", r.second_replid_offset);
    let (active, first, histlen) = match &r.backlog {
        Some(b) => {
            let b = b.lock();
            (1, b.first_byte(), b.histlen())
        }
        None => (0, 0, 0),
    };
    field!(out, "repl_backlog_active", active);
    field!(
        out,
        "repl_backlog_size",
        crate::replication::master::backlog_size(st)
    );
    field!(out, "repl_backlog_first_byte_offset", first);
    field!(out, "repl_backlog_histlen", histlen);
}

/// The replica part of INFO replication, in 7.0's order.
fn replica_fields(
    st: &crate::server::State,
    m: &crate::replication::replica::MasterLink,
    now: i64,
    out: &mut String,
) {
    use crate::replication::replica::LinkState;
    let up = m.state == LinkState::Connected;
    field!(out, "role", "slave");
    field!(out, "master_host", m.host);
    field!(out, "master_port", m.port);
    field!(out, "master_link_status", if up { "up" } else { "down" });
    let last_io = if up { (now - m.last_io_ms) / 1000 } else { -1 };
    field!(out, "master_last_io_seconds_ago", last_io);
    field!(
        out,
        "master_sync_in_progress",
        (m.state == LinkState::Sync) as i32
    );
    let (read, applied) = if st.repl.has_master_history {
        (m.read_offset.max(st.repl.offset), st.repl.offset)
    } else {
        (1, 1)
    };
    field!(out, "slave_read_repl_offset", read);
    field!(out, "slave_repl_offset", applied);
    if m.state == LinkState::Sync {
        field!(out, "master_sync_total_bytes", m.sync_total);
        field!(out, "master_sync_read_bytes", m.sync_read);
        field!(out, "master_sync_left_bytes", m.sync_total - m.sync_read);
        let perc = if m.sync_total > 0 {
            m.sync_read as f64 * 100.0 / m.sync_total as f64
        } else {
            0.0
        };
        field!(out, "master_sync_perc", format!("{perc:.2}"));
        field!(
            out,
            "master_sync_last_io_seconds_ago",
            (now - m.last_io_ms) / 1000
        );
    }
    if !up {
        let down = if m.down_since_ms > 0 {
            (now - m.down_since_ms) / 1000
        } else {
            -1
        };
        field!(out, "master_link_down_since_seconds", down);
    }
    let inert = |n: &str| st.config.inert.get(n).cloned().unwrap_or_default();
    field!(out, "slave_priority", inert("replica-priority"));
    field!(out, "slave_read_only", st.config.replica_read_only as i32);
    field!(
        out,
        "replica_announced",
        (inert("replica-announced") == "yes") as i32
    );
}

fn cpu(out: &mut String) {
    let [user, sys_t, cuser, csys] = sys::process_cpu();
    let (muser, msys) = sys::main_thread_cpu();
    out.push_str("# CPU\r\n");
    field!(out, "used_cpu_sys", format!("{sys_t:.6}"));
    field!(out, "used_cpu_user", format!("{user:.6}"));
    field!(out, "used_cpu_sys_children", format!("{csys:.6}"));
    field!(out, "used_cpu_user_children", format!("{cuser:.6}"));
    field!(out, "used_cpu_sys_main_thread", format!("{msys:.6}"));
    field!(out, "used_cpu_user_main_thread", format!("{muser:.6}"));
}

/// Commands with statistics, sorted by name (Redis prints them in its command
/// table's hash order).
fn stat_names(ctx: &Ctx) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = ctx.st.stats.cmd.keys().copied().collect();
    names.sort_unstable();
    names
}

fn commandstats(ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    for name in stat_names(ctx) {
        let Some(c) = ctx.st.stats.cmd.get(name) else {
            continue;
        };
        if c.calls == 0 && c.failed_calls == 0 && c.rejected_calls == 0 {
            continue;
        }
        let per_call = if c.calls == 0 {
            0.0
        } else {
            c.usec as f64 / c.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{name}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
            c.calls, c.usec, c.rejected_calls, c.failed_calls
        );
    }
}

fn errorstats(ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    for (code, n) in &ctx.st.stats.errors {
        let _ = write!(out, "errorstat_{code}:count={n}\r\n");
    }
}

fn latencystats(ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Latencystats\r\n");
    if !ctx.st.config.latency_tracking {
        return;
    }
    let percentiles = &ctx.st.config.latency_tracking_info_percentiles;
    for name in stat_names(ctx) {
        let Some(h) = ctx.st.stats.cmd.get(name).and_then(|c| c.hdr.as_ref()) else {
            continue;
        };
        let _ = write!(out, "latency_percentiles_usec_{name}:");
        for (i, p) in percentiles.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let v = h.value_at_percentile(*p) as f64 / 1000.0;
            let _ = write!(out, "p{}={v:.3}", crate::config::trim_double(*p));
        }
        out.push_str("\r\n");
    }
}

fn keyspace(ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for (i, db) in ctx.st.ks.dbs.iter().enumerate() {
        let keys = db.dict.len();
        if keys == 0 {
            continue;
        }
        let _ = write!(
            out,
            "db{i}:keys={keys},expires={},avg_ttl={}\r\n",
            db.expires.len(),
            db.avg_ttl
        );
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn human_sizes() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1023), "1023B");
        assert_eq!(human(990768), "967.55K");
        assert_eq!(human(6656000), "6.35M");
        assert_eq!(human(25276063744), "23.54G");
    }
}
