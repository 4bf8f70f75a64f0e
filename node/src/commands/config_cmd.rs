//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP over the settings registry.

use super::flags::*;
use super::{CmdError, CmdResult, Command, Ctx};
use crate::cmd;
use crate::config::{settings, Setting, HIDDEN, IMMUTABLE, PROTECTED, SENSITIVE};

static SUBCOMMANDS: &[Command] = &[
    cmd!(
        "get",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        get
    ),
    cmd!(
        "set",
        -4,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        set
    ),
    cmd!(
        "resetstat",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        resetstat
    ),
    cmd!(
        "rewrite",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        rewrite
    ),
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), help),
];

pub static COMMANDS: &[Command] = &[cmd!("config", -2, 0, (0, 0, 0), help, &SUBCOMMANDS)];

/// Finds a setting by name or alias; the bool tells whether the alias matched
/// (Redis 7.0 keeps aliases as distinct entries).
fn lookup(name: &[u8]) -> Option<(&'static Setting, bool)> {
    settings().iter().find_map(|s| {
        if name.eq_ignore_ascii_case(s.name.as_bytes()) {
            Some((s, false))
        } else if s
            .alias
            .is_some_and(|a| name.eq_ignore_ascii_case(a.as_bytes()))
        {
            Some((s, true))
        } else {
            None
        }
    })
}

/// The (reply name, setting) pairs CONFIG GET returns for its patterns: exact
/// names as typed, globs over every name and alias; no key twice.
pub fn matches(patterns: &[&[u8]]) -> Vec<(String, &'static Setting)> {
    let mut out: Vec<(String, &'static Setting)> = Vec::new();
    let add = |key: &[u8], s: &'static Setting, out: &mut Vec<(String, &'static Setting)>| {
        if !out
            .iter()
            .any(|(k, _)| k.as_bytes().eq_ignore_ascii_case(key))
        {
            out.push((String::from_utf8_lossy(key).into_owned(), s));
        }
    };
    for p in patterns {
        if !p.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
            if let Some((s, _)) = lookup(p) {
                add(p, s, &mut out);
            }
            continue;
        }
        for s in settings().iter().filter(|s| s.flags & HIDDEN == 0) {
            for key in std::iter::once(s.name).chain(s.alias) {
                if crate::util::glob_match(p, key.as_bytes(), true) {
                    add(key.as_bytes(), s, &mut out);
                }
            }
        }
    }
    out
}

/// CONFIG GET parameter [parameter ...]
fn get(ctx: &mut Ctx) -> CmdResult {
    let pats: Vec<&[u8]> = ctx.args[2..].iter().map(|a| &a[..]).collect();
    let found = matches(&pats);
    ctx.out.map(found.len());
    for (key, s) in found {
        ctx.out.bulk(key.as_bytes());
        ctx.out.bulk((s.get)(&ctx.st.config).as_bytes());
    }
    Ok(())
}

fn set_failed(arg: &[u8], why: &str) -> CmdError {
    format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
        String::from_utf8_lossy(arg)
    )
    .into()
}

/// CONFIG SET parameter value [parameter value ...]: all or nothing.
fn set(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() % 2 != 0 {
        return Err(super::ERR_SYNTAX.into());
    }
    let pairs: Vec<(&[u8], &[u8])> = ctx.args[2..]
        .chunks(2)
        .map(|c| (&c[0][..], &c[1][..]))
        .collect();
    let mut chosen: Vec<(&'static Setting, bool)> = Vec::new();
    let mut unknown: Option<&[u8]> = None;
    for (i, (name, _)) in pairs.iter().enumerate() {
        let Some((s, alias)) = lookup(name) else {
            unknown.get_or_insert(name);
            continue;
        };
        // Every sensitive value is hidden from the slowlog, even when the command fails.
        let value_index = 3 + 2 * i;
        if s.flags & SENSITIVE != 0 && value_index < 64 {
            ctx.redact |= 1 << value_index;
        }
        if unknown.is_some() {
            continue;
        }
        if s.flags & IMMUTABLE != 0 {
            return Err(set_failed(name, "can't set immutable config"));
        }
        if s.flags & PROTECTED != 0 && !protected_allowed(ctx) {
            return Err(set_failed(name, "can't set protected config"));
        }
        if chosen
            .iter()
            .any(|(c, a)| std::ptr::eq(*c, s) && *a == alias)
        {
            return Err(set_failed(name, "duplicate parameter"));
        }
        chosen.push((s, alias));
    }
    if let Some(name) = unknown {
        return Err(format!(
            "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
            String::from_utf8_lossy(name)
        )
        .into());
    }
    let mut next = ctx.st.config.clone();
    for ((s, _), (name, value)) in chosen.iter().zip(&pairs) {
        (s.set)(&mut next, value).map_err(|e| set_failed(name, &e))?;
    }
    if next.dir != ctx.st.config.dir {
        if let Err(e) = std::env::set_current_dir(&next.dir) {
            let arg = pairs
                .iter()
                .zip(&chosen)
                .find(|(_, (s, _))| s.name == "dir")
                .map(|((n, _), _)| *n)
                .unwrap_or(b"dir");
            return Err(set_failed(arg, &strerror(&e)));
        }
        // Redis reports the absolute directory (getcwd) afterwards.
        if let Ok(cwd) = std::env::current_dir() {
            next.dir = cwd.display().to_string();
        }
    }
    if next.port != ctx.st.config.port || next.bind != ctx.st.config.bind {
        let port_changed = next.port != ctx.st.config.port;
        if let Err(e) = rebind(ctx.server, &ctx.st.config, &next) {
            tracing::warn!("CONFIG SET rebinding listeners: {e}");
            let (which, msg) = if port_changed {
                ("port", "Unable to listen on this port. Check server logs.")
            } else {
                ("bind", "Failed to bind to specified addresses.")
            };
            let arg = pairs
                .iter()
                .zip(&chosen)
                .find(|(_, (s, _))| s.name == which)
                .map(|((n, _), _)| *n)
                .unwrap_or(which.as_bytes());
            return Err(set_failed(arg, msg));
        }
    }
    let old = std::mem::replace(&mut ctx.st.config, next);
    apply(ctx, &old);
    ctx.out.ok();
    Ok(())
}

/// The C strerror text of an I/O error (Rust appends " (os error N)").
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Binds the listeners of `next` and swaps them in (CONFIG SET port/bind).
/// A new port is bound before the old sockets close; on the same port the old
/// sockets close first, and are bound again if the new addresses fail.
fn rebind(
    server: &crate::server::Server,
    old: &crate::config::Config,
    next: &crate::config::Config,
) -> std::io::Result<()> {
    let me = server
        .me
        .upgrade()
        .ok_or_else(|| std::io::Error::other("server is gone"))?;
    if old.port == next.port {
        crate::server::stop_accepting(&me);
        match crate::server::bind(next) {
            Ok(l) => crate::server::start_accepting(&me, l),
            Err(e) => {
                if let Ok(l) = crate::server::bind(old) {
                    crate::server::start_accepting(&me, l);
                }
                return Err(e);
            }
        }
    } else {
        let l = crate::server::bind(next)?;
        crate::server::start_accepting(&me, l);
    }
    Ok(())
}

/// enable-protected-configs: yes, or local for loopback clients.
fn protected_allowed(ctx: &Ctx) -> bool {
    match crate::config::registry_value(&ctx.st.config, "enable-protected-configs").as_str() {
        "yes" => true,
        "local" => ctx.client.is_local,
        _ => false,
    }
}

/// Side effects of changed settings (the apply functions of Redis's table).
fn apply(ctx: &mut Ctx, old: &crate::config::Config) {
    let st = &mut *ctx.st;
    let c = st.config.clone();
    if c.maxmemory_policy != old.maxmemory_policy
        || c.lfu_log_factor != old.lfu_log_factor
        || c.lfu_decay_time != old.lfu_decay_time
    {
        st.ks.clock = crate::server::clock_for(&c);
    }
    if c.maxmemory != old.maxmemory && c.maxmemory > 0 {
        let used = crate::used_memory();
        if used as i64 > c.maxmemory {
            tracing::warn!(
                "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the current memory usage ({}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.",
                c.maxmemory,
                used
            );
        }
        super::evict::perform_evictions(st);
    }
    if c.notify_keyspace_flags != old.notify_keyspace_flags {
        st.ks.notify.flags = crate::store::notify::effective_flags(c.notify_keyspace_flags);
    }
    if c.loglevel != old.loglevel {
        crate::logging::set_level(&c.loglevel);
    }
    crate::replication::apply_config(st);
    // slowlog-max-len has no apply hook in Redis: the log shrinks on its next entry.
}

/// CONFIG RESETSTAT: server stats, command/error stats and latency histograms
/// (not the slowlog).
fn resetstat(ctx: &mut Ctx) -> CmdResult {
    let st = &mut *ctx.st;
    st.stats.reset();
    let ks = &mut st.ks.stats;
    ks.hits = 0;
    ks.misses = 0;
    ks.expired = 0;
    ks.evicted = 0;
    ks.expired_stale_perc = 0.0;
    ks.expired_time_cap_reached = 0;
    ks.expire_cycle_cpu_ms = 0;
    ctx.out.ok();
    Ok(())
}

/// CONFIG REWRITE
fn rewrite(ctx: &mut Ctx) -> CmdResult {
    let Some(path) = &ctx.server.config_file else {
        return Err("ERR The server is running without a config file".into());
    };
    crate::config::rewrite::rewrite_file(&ctx.st.config, path)
        .map_err(|e| CmdError::from(format!("ERR Rewriting config file: {e}")))?;
    tracing::info!("CONFIG REWRITE executed with success.");
    ctx.out.ok();
    Ok(())
}

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

/// CONFIG HELP (and CONFIG alone, which fails arity first).
fn help(ctx: &mut Ctx) -> CmdResult {
    ctx.out.array(HELP.len());
    for l in HELP {
        ctx.out.simple(l);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn get_patterns() {
        let names =
            |p: &[&[u8]]| -> Vec<String> { matches(p).into_iter().map(|(k, _)| k).collect() };
        assert_eq!(names(&[b"MAXMEMORY"]), vec!["MAXMEMORY"]);
        assert_eq!(names(&[b"maxmemory", b"MAXMEMORY"]), vec!["maxmemory"]);
        let ro = names(&[b"*read-only"]);
        assert!(ro.contains(&"slave-read-only".to_string()));
        assert!(ro.contains(&"replica-read-only".to_string()));
        assert!(names(&[b"nosuch"]).is_empty());
        assert_eq!(names(&[b"key-load-delay"]), vec!["key-load-delay"]);
        assert!(names(&[b"key-load-*"]).is_empty());
        assert_eq!(names(&[b"*"]).len(), 192);
    }
}
