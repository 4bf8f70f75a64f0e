//! Server administration: TIME, LASTSAVE, SHUTDOWN, MONITOR, FUNCTION/SCRIPT
//! FLUSH, SLOWLOG, LATENCY and MEMORY.

use super::command_cmd::reply_help;
use super::flags::*;
use super::{CmdError, CmdResult, Command, Ctx, Flow, ERR_NOT_INT, ERR_SYNTAX};
use crate::cmd;

pub static COMMANDS: &[Command] = &[
    cmd!("time", 1, LOADING | STALE | FAST, (0, 0, 0), time),
    cmd!("lastsave", 1, LOADING | STALE | FAST, (0, 0, 0), lastsave),
    cmd!(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        (0, 0, 0),
        save
    ),
    cmd!(
        "bgsave",
        -1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        (0, 0, 0),
        bgsave
    ),
    cmd!(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY,
        (0, 0, 0),
        shutdown
    ),
    cmd!(
        "monitor",
        1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        monitor
    ),
    cmd!("function", -2, 0, (0, 0, 0), function_help, &FUNCTION),
    cmd!("script", -2, 0, (0, 0, 0), script_help, &SCRIPT),
    cmd!("slowlog", -2, 0, (0, 0, 0), slowlog_help, &SLOWLOG),
    cmd!("latency", -2, 0, (0, 0, 0), latency_help, &LATENCY),
    cmd!("memory", -2, 0, (0, 0, 0), memory_help, &MEMORY),
];

static FUNCTION: [Command; 2] = [
    cmd!("flush", -2, WRITE | NOSCRIPT, (0, 0, 0), function_flush),
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), function_help),
];

static SCRIPT: [Command; 2] = [
    cmd!("flush", -2, NOSCRIPT, (0, 0, 0), script_flush),
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), script_help),
];

static SLOWLOG: [Command; 4] = [
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), slowlog_help),
    cmd!("get", -2, ADMIN | LOADING | STALE, (0, 0, 0), slowlog_get),
    cmd!(
        "reset",
        2,
        ADMIN | LOADING | STALE,
        (0, 0, 0),
        slowlog_reset
    ),
    cmd!("len", 2, ADMIN | LOADING | STALE, (0, 0, 0), slowlog_len),
];

const LAT: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

static LATENCY: [Command; 6] = [
    cmd!("histogram", -2, LAT, (0, 0, 0), latency_histogram),
    cmd!("reset", -2, LAT, (0, 0, 0), latency_reset),
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), latency_help),
    cmd!("history", 3, LAT, (0, 0, 0), latency_history),
    cmd!("doctor", 2, LAT, (0, 0, 0), latency_doctor),
    cmd!("latest", 2, LAT, (0, 0, 0), latency_latest),
];

static MEMORY: [Command; 6] = [
    cmd!("doctor", 2, 0, (0, 0, 0), memory_doctor),
    cmd!("malloc-stats", 2, 0, (0, 0, 0), memory_malloc_stats),
    cmd!("purge", 2, 0, (0, 0, 0), memory_purge),
    cmd!("stats", 2, 0, (0, 0, 0), memory_stats),
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), memory_help),
    cmd!("usage", -3, READONLY, (2, 2, 1), memory_usage),
];

/// "ERR unknown subcommand or wrong number of arguments for 'X'. Try Y HELP."
fn subcommand_syntax(ctx: &Ctx) -> CmdError {
    format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(&ctx.args[1]),
        String::from_utf8_lossy(&ctx.args[0]).to_ascii_uppercase()
    )
    .into()
}

/// TIME: unix seconds and microseconds, as two bulk strings.
fn time(ctx: &mut Ctx) -> CmdResult {
    let us = crate::util::now_us();
    ctx.out.array(2);
    ctx.out.bulk_int(us / 1_000_000);
    ctx.out.bulk_int(us % 1_000_000);
    Ok(())
}

/// LASTSAVE
fn lastsave(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.st.lastsave);
    Ok(())
}

/// SAVE: writes the RDB file now, blocking every client like Redis's SAVE.
fn save(ctx: &mut Ctx) -> CmdResult {
    if ctx.st.persist.bgsave_in_progress {
        return Err("ERR Background save already in progress".into());
    }
    match crate::server::persist::save_sync(ctx.st) {
        Ok(()) => {
            ctx.out.ok();
            Ok(())
        }
        Err(_) => Err("ERR".into()),
    }
}

/// BGSAVE [SCHEDULE]: snapshot now, write on a background thread.
fn bgsave(ctx: &mut Ctx) -> CmdResult {
    let schedule = match ctx.argc() {
        1 => false,
        2 if ctx.arg_is(1, "schedule") => true,
        _ => return Err(ERR_SYNTAX.into()),
    };
    if ctx.st.persist.bgsave_in_progress {
        if schedule {
            ctx.st.persist.bgsave_scheduled = true;
            ctx.out.simple("Background saving scheduled");
            return Ok(());
        }
        return Err("ERR Background save already in progress".into());
    }
    crate::server::persist::start_bgsave(ctx.server, ctx.st).map_err(CmdError::from)?;
    ctx.out.simple("Background saving started");
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
///
/// SAVE, or save points configured and no NOSAVE, writes the RDB first; if
/// that fails without FORCE the reply is "-ERR Errors trying to SHUTDOWN.
/// Check logs." and the server keeps running. NOW skips waiting for lagging
/// replicas; ABORT cancels a shutdown waiting for replicas (none ever waits
/// here, hence "No shutdown in progress.").
fn shutdown(ctx: &mut Ctx) -> CmdResult {
    let (mut nosave, mut save, mut now, mut force, mut abort) = (false, false, false, false, false);
    for i in 1..ctx.argc() {
        if ctx.arg_is(i, "nosave") {
            nosave = true;
        } else if ctx.arg_is(i, "save") {
            save = true;
        } else if ctx.arg_is(i, "now") {
            now = true;
        } else if ctx.arg_is(i, "force") {
            force = true;
        } else if ctx.arg_is(i, "abort") {
            abort = true;
        } else {
            return Err(ERR_SYNTAX.into());
        }
    }
    let any_flag = nosave || save || now || force;
    if (abort && any_flag) || (nosave && save) {
        return Err(ERR_SYNTAX.into());
    }
    if abort {
        return Err("ERR No shutdown in progress.".into());
    }
    tracing::warn!("User requested shutdown...");
    if save || (!nosave && !ctx.st.config.save.is_empty()) {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        if crate::server::persist::save_sync(ctx.st).is_err() && !force {
            tracing::warn!("Error trying to save the DB, can't exit.");
            return Err("ERR Errors trying to SHUTDOWN. Check logs.".into());
        }
    }
    ctx.st.persist.shutdown_handled = true;
    ctx.flow = Flow::Shutdown;
    Ok(())
}

/// MONITOR: from now on the client receives every command the server runs.
fn monitor(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.monitor {
        // Redis ignores MONITOR from a client already monitoring: no reply at all.
        return Ok(());
    }
    ctx.client.monitor = true;
    ctx.client.shared.meta.lock().monitor = true;
    ctx.st.monitors.push(ctx.client.shared.clone());
    ctx.out.ok();
    Ok(())
}

/// FUNCTION FLUSH [ASYNC|SYNC]: there are no function libraries to delete.
fn function_flush(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(subcommand_syntax(ctx));
    }
    if ctx.argc() == 3 && !ctx.arg_is(2, "sync") && !ctx.arg_is(2, "async") {
        return Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into());
    }
    ctx.out.ok();
    Ok(())
}

/// SCRIPT FLUSH [ASYNC|SYNC]: the script cache is always empty here.
fn script_flush(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 || (ctx.argc() == 3 && !ctx.arg_is(2, "sync") && !ctx.arg_is(2, "async")) {
        return Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option".into());
    }
    ctx.out.ok();
    Ok(())
}

fn function_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx.out,
        &[
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}

fn script_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx.out,
        &[
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}

fn slowlog_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx.out,
        &[
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

/// SLOWLOG GET [count]: newest first; -1 means all.
fn slowlog_get(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(subcommand_syntax(ctx));
    }
    let mut count = 10usize;
    if ctx.argc() == 3 {
        match crate::util::string2ll(&ctx.args[2]) {
            Some(-1) => count = usize::MAX,
            Some(n) if n >= 0 => count = n as usize,
            _ => return Err("ERR count should be greater than or equal to -1".into()),
        }
    }
    let n = count.min(ctx.st.slowlog.entries.len());
    ctx.out.array(n);
    for e in ctx.st.slowlog.entries.iter().take(n) {
        ctx.out.array(6);
        ctx.out.int(e.id as i64);
        ctx.out.int(e.time);
        ctx.out.int(e.duration_us as i64);
        ctx.out.array(e.args.len());
        for a in &e.args {
            ctx.out.bulk(a);
        }
        ctx.out.bulk(e.peer.as_bytes());
        ctx.out.bulk(&e.name);
    }
    Ok(())
}

fn slowlog_len(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.st.slowlog.entries.len() as i64);
    Ok(())
}

fn slowlog_reset(ctx: &mut Ctx) -> CmdResult {
    ctx.st.slowlog.entries.clear();
    ctx.out.ok();
    Ok(())
}

fn latency_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx.out,
        &[
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(())
}

/// LATENCY LATEST: per event, [name, time of the latest sample, latest, max].
fn latency_latest(ctx: &mut Ctx) -> CmdResult {
    let events: Vec<_> = ctx
        .st
        .latency
        .events
        .iter()
        .filter_map(|(name, e)| e.samples.back().map(|s| (name.clone(), *s, e.max)))
        .collect();
    ctx.out.array(events.len());
    for (name, (t, ms), max) in events {
        ctx.out.array(4);
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(t);
        ctx.out.int(ms as i64);
        ctx.out.int(max as i64);
    }
    Ok(())
}

/// LATENCY HISTORY event: [time, latency] pairs, oldest first.
fn latency_history(ctx: &mut Ctx) -> CmdResult {
    let name = String::from_utf8_lossy(&ctx.args[2]).into_owned();
    let samples: Vec<(i64, u64)> = ctx
        .st
        .latency
        .events
        .get(&name)
        .map(|e| e.samples.iter().copied().collect())
        .unwrap_or_default();
    ctx.out.array(samples.len());
    for (t, ms) in samples {
        ctx.out.array(2);
        ctx.out.int(t);
        ctx.out.int(ms as i64);
    }
    Ok(())
}

/// LATENCY RESET [event ...]: the number of event series removed.
fn latency_reset(ctx: &mut Ctx) -> CmdResult {
    let n = if ctx.argc() == 2 {
        let n = ctx.st.latency.events.len();
        ctx.st.latency.events.clear();
        n
    } else {
        let mut n = 0;
        for a in &ctx.args[2..] {
            if ctx
                .st
                .latency
                .events
                .remove(&*String::from_utf8_lossy(a))
                .is_some()
            {
                n += 1;
            }
        }
        n
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// Cumulative latency buckets: (µs, executions at or below).
type Cdf = Vec<(u64, u64)>;

/// LATENCY HISTOGRAM [command ...]: per command (and subcommand) with at least
/// one execution, its calls and cumulative latency buckets. Unknown names are
/// skipped; with no names every command is reported.
fn latency_histogram(ctx: &mut Ctx) -> CmdResult {
    let mut rows: Vec<(Option<&Command>, &Command)> = Vec::new();
    if ctx.argc() == 2 {
        for c in super::commands() {
            rows.push((None, *c));
            rows.extend(c.subcommands.iter().map(|s| (Some(*c), s)));
        }
    } else {
        for a in &ctx.args[2..] {
            if let Some((p, c)) = super::command_cmd::lookup_full(a) {
                rows.push((p, c));
                rows.extend(c.subcommands.iter().map(|s| (Some(c), s)));
            }
        }
    }
    let found: Vec<(String, u64, Cdf)> = rows
        .into_iter()
        .filter_map(|(p, c)| {
            let name = super::full_name(p, c);
            let h = &ctx.st.stats.cmd.get(name.as_str())?.latency;
            (h.total > 0).then(|| (name, h.total, h.cdf()))
        })
        .collect();
    let out = &mut *ctx.out;
    out.map(found.len());
    for (name, calls, cdf) in found {
        out.bulk(name.as_bytes());
        out.map(2);
        out.bulk(b"calls");
        out.int(calls as i64);
        out.bulk(b"histogram_usec");
        out.map(cdf.len());
        for (us, n) in cdf {
            out.int(us as i64);
            out.int(n as i64);
        }
    }
    Ok(())
}

/// LATENCY DOCTOR: Redis's report (createLatencyReport) for the events this
/// node records, "command" and "fast-command", with their advice.
fn latency_doctor(ctx: &mut Ctx) -> CmdResult {
    let report = latency_report(ctx.st, crate::util::now_ms() / 1000);
    ctx.out.verbatim(report.as_bytes(), "txt");
    Ok(())
}

fn latency_report(st: &crate::server::State, now_secs: i64) -> String {
    let lat = &st.latency;
    let threshold = st.config.latency_monitor_threshold;
    if lat.events.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".to_string();
    }
    let mut s = String::new();
    let (mut slowlog_enabled, mut slowlog_tuning, mut slowlog_inspect) = (false, false, false);
    let (mut scheduler, mut large_objects) = (false, false);
    for (i, (name, e)) in lat.events.iter().enumerate() {
        if i == 0 {
            s.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let n = e.samples.len().max(1) as u64;
        let avg = e.samples.iter().map(|x| x.1).sum::<u64>() / n;
        let mad = e.samples.iter().map(|x| x.1.abs_diff(avg)).sum::<u64>() / n;
        let oldest = e.samples.iter().map(|x| x.0).min().unwrap_or(now_secs);
        let period = (now_secs - oldest).max(1) as f64 / n as f64;
        s.push_str(&format!(
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.\n",
            i + 1,
            name,
            e.samples.len(),
            avg,
            mad,
            period,
            e.max
        ));
        match name.as_str() {
            "command" => {
                if st.config.slowlog_log_slower_than < 0 || st.config.slowlog_max_len == 0 {
                    slowlog_enabled = true;
                } else if st.config.slowlog_log_slower_than / 1000 > threshold {
                    slowlog_tuning = true;
                }
                slowlog_inspect = true;
                large_objects = true;
            }
            "fast-command" => scheduler = true,
            _ => {}
        }
    }
    let advices =
        slowlog_enabled || slowlog_tuning || slowlog_inspect || scheduler || large_objects;
    if lat.events.is_empty() {
        s.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n");
    } else if !advices {
        s.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your request.\n");
    } else {
        s.push_str("\nI have a few advices for you:\n\n");
        let slower = threshold.saturating_mul(1000);
        if slowlog_enabled {
            s.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {slower}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"));
        }
        if slowlog_tuning {
            s.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {slower}'.\n"));
        }
        if slowlog_inspect {
            s.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        }
        if scheduler {
            s.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        }
        if large_objects {
            s.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }
    }
    s
}

fn memory_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx.out,
        &[
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

/// Bytes one keyspace entry costs besides out-of-line key bytes and value heap:
/// the chain node (key with its inline bytes, object, next link) and its bucket slot.
fn entry_overhead() -> usize {
    use crate::store::value::Obj;
    std::mem::size_of::<crate::store::db::Key>()
        + std::mem::size_of::<Obj>()
        + 2 * std::mem::size_of::<usize>()
}

/// Key bytes allocated outside the node (long keys only).
fn key_heap(key: &[u8]) -> usize {
    if key.len() > crate::store::key::KEY_INLINE_MAX {
        key.len()
    } else {
        0
    }
}

/// MEMORY USAGE key [SAMPLES count]: key + value + entry overhead. Values are
/// not nested yet, so the sample count changes nothing.
fn memory_usage(ctx: &mut Ctx) -> CmdResult {
    let mut j = 3;
    while j < ctx.argc() {
        if ctx.arg_is(j, "samples") && j + 1 < ctx.argc() {
            let n = crate::util::string2ll(&ctx.args[j + 1]).ok_or(CmdError::from(ERR_NOT_INT))?;
            if n < 0 {
                return Err(ERR_SYNTAX.into());
            }
            j += 2;
        } else {
            return Err(ERR_SYNTAX.into());
        }
    }
    let db = ctx.db();
    let key = ctx.args[2].clone();
    let size = ctx
        .st
        .ks
        .peek(db, &key)
        .map(|o| key_heap(&key) + o.val.heap_size() + entry_overhead());
    match size {
        Some(n) => ctx.out.int(n as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

/// The highest used_memory seen by MEMORY STATS/DOCTOR and INFO memory.
pub(crate) fn peak_memory(now: usize) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static PEAK: AtomicUsize = AtomicUsize::new(0);
    PEAK.fetch_max(now, Ordering::Relaxed).max(now)
}

/// MEMORY STATS: Redis's fields and formulas (getMemoryOverheadData); values
/// from our allocator counter, clients and hash tables. Allocator internals we
/// cannot see (active/resident pages, RSS) repeat the allocated figure with
/// ratios of 1.
fn memory_stats(ctx: &mut Ctx) -> CmdResult {
    let total = crate::used_memory();
    let peak = peak_memory(total);
    let startup = ctx.server.startup_allocated.min(total);
    let per_entry = entry_overhead();
    let clients_mem: usize = ctx.st.clients.len()
        * (16 * 1024 + std::mem::size_of::<crate::server::client::ClientShared>());
    let slot = std::mem::size_of::<usize>();
    let dbs: Vec<(usize, usize, usize)> = ctx
        .st
        .ks
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.is_empty())
        .map(|(i, d)| {
            let main = d.dict.slots() * slot + d.dict.len() * per_entry;
            let exp = d.expires.slots() * slot + d.expires.len() * per_entry;
            (i, main, exp)
        })
        .collect();
    let keys = ctx.st.ks.key_count();
    let overhead = startup + clients_mem + dbs.iter().map(|d| d.1 + d.2).sum::<usize>();
    let dataset = total.saturating_sub(overhead);
    let net = total.saturating_sub(startup);
    let out = &mut *ctx.out;
    out.map(27 + dbs.len());
    let int = |out: &mut crate::resp::Reply, k: &str, v: usize| {
        out.bulk(k.as_bytes());
        out.int(v as i64);
    };
    int(out, "peak.allocated", peak);
    int(out, "total.allocated", total);
    int(out, "startup.allocated", startup);
    int(out, "replication.backlog", 0);
    int(out, "clients.slaves", 0);
    int(out, "clients.normal", clients_mem);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", 0);
    int(out, "lua.caches", 0);
    int(out, "functions.caches", 0);
    for (i, main, exp) in &dbs {
        out.bulk(format!("db.{i}").as_bytes());
        out.map(2);
        int(out, "overhead.hashtable.main", *main);
        int(out, "overhead.hashtable.expires", *exp);
    }
    int(out, "overhead.total", overhead);
    int(out, "keys.count", keys);
    int(
        out,
        "keys.bytes-per-key",
        net.checked_div(keys).unwrap_or(0),
    );
    int(out, "dataset.bytes", dataset);
    let pct = |a: usize, b: usize| {
        if b > 0 {
            a as f64 * 100.0 / b as f64
        } else {
            0.0
        }
    };
    out.bulk(b"dataset.percentage");
    out.double(pct(dataset, net));
    out.bulk(b"peak.percentage");
    out.double(pct(total, peak));
    int(out, "allocator.allocated", total);
    int(out, "allocator.active", total);
    int(out, "allocator.resident", total);
    for k in ["allocator-fragmentation", "allocator-rss", "rss-overhead"] {
        out.bulk(format!("{k}.ratio").as_bytes());
        out.double(1.0);
        int(out, &format!("{k}.bytes"), 0);
    }
    out.bulk(b"fragmentation");
    out.double(1.0);
    int(out, "fragmentation.bytes", 0);
    Ok(())
}

/// MEMORY DOCTOR: the empty-instance message below 5 MB, else the no-issue one
/// (fragmentation, RSS and buffer issues cannot be detected here).
fn memory_doctor(ctx: &mut Ctx) -> CmdResult {
    let total = crate::used_memory();
    let peak = peak_memory(total);
    let s = if total < 5 * 1024 * 1024 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
    } else if peak as f64 / total as f64 > 1.5 {
        "Sam, I detected a few issues in this Redis instance memory implants:\n\n * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\nI'm here to keep you safe, Sam. I want to help you.\n"
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
    };
    ctx.out.verbatim(s.as_bytes(), "txt");
    Ok(())
}

/// MEMORY MALLOC-STATS: the system allocator has no stats report.
fn memory_malloc_stats(ctx: &mut Ctx) -> CmdResult {
    ctx.out
        .verbatim(b"Stats not supported for the current allocator", "txt");
    Ok(())
}

/// MEMORY PURGE: the system allocator has no purge call; nothing to do.
fn memory_purge(ctx: &mut Ctx) -> CmdResult {
    ctx.out.ok();
    Ok(())
}
