//! DEBUG (protected by enable-debug-command): SLEEP, POPULATE, SET-ACTIVE-EXPIRE,
//! OBJECT and HELP. Like Redis 7.0, DEBUG is one command that parses its own
//! subcommand, not a container.

use super::command_cmd::reply_help;
use super::flags::*;
use super::{CmdError, CmdResult, Command, Ctx};
use crate::cmd;
use crate::store::value::{Str, Value};

pub static COMMANDS: &[Command] = &[cmd!(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    (0, 0, 0),
    debug
)];

fn syntax(ctx: &Ctx) -> CmdError {
    format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
        String::from_utf8_lossy(&ctx.args[1])
    )
    .into()
}

fn debug(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.argc();
    if ctx.arg_is(1, "help") && n == 2 {
        reply_help(ctx.out, HELP);
        Ok(())
    } else if ctx.arg_is(1, "sleep") && n == 3 {
        sleep(ctx)
    } else if ctx.arg_is(1, "populate") && (3..=5).contains(&n) {
        populate(ctx)
    } else if ctx.arg_is(1, "set-active-expire") && n == 3 {
        // atoi semantics: anything that is not a non-zero number disables it.
        ctx.st.ks.active_expire_enabled = atoi(&ctx.args[2]) != 0;
        ctx.out.ok();
        Ok(())
    } else if ctx.arg_is(1, "object") && n == 3 {
        object(ctx)
    } else if ctx.arg_is(1, "reload") {
        reload(ctx)
    } else {
        Err(syntax(ctx))
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, then load the file back.
/// Unlike Redis, the data is replaced only once the file loaded completely,
/// so a bad file leaves the dataset as it was.
fn reload(ctx: &mut Ctx) -> CmdResult {
    use crate::server::persist;
    let (mut save, mut flush, mut merge) = (true, true, false);
    for i in 2..ctx.argc() {
        if ctx.arg_is(i, "merge") {
            merge = true;
        } else if ctx.arg_is(i, "noflush") {
            flush = false;
        } else if ctx.arg_is(i, "nosave") {
            save = false;
        } else {
            return Err(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.".into(),
            );
        }
    }
    if save && persist::save_sync(ctx.st).is_err() {
        return Err("ERR".into());
    }
    let opts = persist::load_opts(ctx.st);
    let path = persist::rdb_path(ctx.st);
    let loaded = match persist::read_file(&path, &opts) {
        Ok(Some(l)) => l,
        Ok(None) => return Err("ERR Error trying to load the RDB dump, check server logs.".into()),
        Err(e) => {
            tracing::warn!("Error loading the RDB for DEBUG RELOAD: {e}");
            return Err("ERR Error trying to load the RDB dump, check server logs.".into());
        }
    };
    if flush {
        persist::install(ctx.st, loaded);
    } else {
        let ks = &mut ctx.st.ks;
        for (idx, db) in loaded.dbs {
            if idx >= ks.dbs.len() {
                continue;
            }
            for (k, o) in db.dict.iter() {
                if ks.dbs[idx].dict.contains_key(k) {
                    if !merge {
                        continue;
                    }
                    ks.delete(idx, k);
                }
                ks.insert_obj(idx, k, o.clone());
                if let Some(t) = db.expires.get(k) {
                    ks.set_expire(idx, k, *t);
                }
            }
        }
    }
    tracing::info!("DB reloaded by DEBUG RELOAD");
    ctx.out.ok();
    Ok(())
}

/// C's atoi: optional sign and leading digits, 0 when there are none.
fn atoi(b: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for c in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg {
        -v
    } else {
        v
    }
}

/// C's strtod prefix parse: the longest numeric prefix, 0 when there is none.
fn strtod_prefix(b: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim_start();
    (1..=t.len())
        .rev()
        .filter(|&i| t.is_char_boundary(i))
        .find_map(|i| t[..i].parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// DEBUG SLEEP seconds: stops the whole server, as Redis does, by sleeping with
/// the state lock held.
fn sleep(ctx: &mut Ctx) -> CmdResult {
    let secs = strtod_prefix(&ctx.args[2]);
    let us = (secs * 1_000_000.0) as i64;
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us as u64));
    }
    ctx.out.ok();
    Ok(())
}

fn positive(ctx: &Ctx, i: usize) -> Result<u64, CmdError> {
    match crate::util::string2ll(&ctx.args[i]) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err("ERR value is out of range, must be positive".into()),
    }
}

/// DEBUG POPULATE count [prefix] [size]: keys "prefix:N" with values "value:N"
/// (zero-padded or cut to `size`), leaving existing keys alone.
fn populate(ctx: &mut Ctx) -> CmdResult {
    let count = positive(ctx, 2)?;
    let prefix: Vec<u8> = if ctx.argc() >= 4 {
        ctx.args[3].to_vec()
    } else {
        b"key".to_vec()
    };
    let size = if ctx.argc() == 5 {
        positive(ctx, 4)? as usize
    } else {
        0
    };
    let db = ctx.db();
    for j in 0..count {
        let mut key = prefix.clone();
        key.extend_from_slice(format!(":{j}").as_bytes());
        if ctx.st.ks.lookup_write(db, &key).is_some() {
            continue;
        }
        let mut val = format!("value:{j}").into_bytes();
        if size > 0 {
            val.resize(size, 0);
        }
        let s = Str::plain_vec(val);
        ctx.st.ks.add(db, &key, Value::Str(s));
    }
    ctx.out.ok();
    Ok(())
}

/// Bytes of an RDB length prefix (rdbSaveLen).
pub(crate) fn rdb_len_size(n: usize) -> usize {
    if n < 1 << 6 {
        1
    } else if n < 1 << 14 {
        2
    } else if n <= u32::MAX as usize {
        5
    } else {
        9
    }
}

/// rdbSavedObjectLen for a string: the integer encodings when the text is a
/// small integer, else length prefix and bytes. Redis may LZF-compress strings
/// longer than 20 bytes; that compression is not modelled, so such lengths are
/// the uncompressed size.
fn serialized_len(s: &Str) -> usize {
    serialized_len_bytes(&s.as_bytes())
}

/// rdbSavedObjectLen for a hash: a listpack is saved as one string blob, a
/// table as a count and its fields and values (LZF not modelled either).
fn hash_serialized_len(h: &crate::store::hash::Hash) -> usize {
    use crate::store::hash::Hash;
    match h {
        Hash::Listpack(_) => {
            let n = h.listpack_bytes();
            rdb_len_size(n) + n
        }
        Hash::Table(_) => {
            rdb_len_size(h.len())
                + h.iter()
                    .map(|(f, v)| serialized_len_bytes(f) + serialized_len_bytes(v))
                    .sum::<usize>()
        }
    }
}

pub(crate) fn serialized_len_bytes(b: &[u8]) -> usize {
    if b.len() <= 11 {
        if let Some(v) = crate::util::string2ll(b) {
            if (-128..=127).contains(&v) {
                return 2;
            } else if (-32768..=32767).contains(&v) {
                return 3;
            } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
                return 5;
            }
        }
    }
    rdb_len_size(b.len()) + b.len()
}

/// DEBUG OBJECT key: Redis's line. Small integers are shared objects in Redis
/// (refcount INT_MAX) unless maxmemory makes per-key LRU/LFU matter.
fn object(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let shared_ints = ctx.st.config.maxmemory == 0;
    let now = ctx.st.ks.now_ms;
    let key = ctx.args[2].clone();
    let Some(o) = ctx.st.ks.peek(db, &key) else {
        return Err(super::ERR_NO_KEY.into());
    };
    let (refcount, serialized) = match &o.val {
        Value::Str(s) => match s {
            Str::Int(n) if shared_ints && (0..10_000).contains(n) => {
                (i32::MAX as i64, serialized_len(s))
            }
            _ => (1, serialized_len(s)),
        },
        Value::List(l) => (1, l.quicklist_stats().serialized_len),
        Value::Hash(h) => (1, hash_serialized_len(h)),
        Value::Set(set) => (1, set.serialized_len(|b| serialized_len(&Str::plain(b)))),
        Value::ZSet(z) => (1, super::zset::serialized_len(z)),
    };
    let mut line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        o as *const _,
        refcount,
        o.val.encoding(),
        serialized,
        o.lru,
        crate::store::db::idle_ms(o.lru, now) / 1000
    );
    if let Value::List(l) = &o.val {
        // The quicklist fields debugCommand appends for lists.
        let q = l.quicklist_stats();
        let avg = if q.nodes == 0 {
            0.0
        } else {
            l.len() as f64 / q.nodes as f64
        };
        line.push_str(&format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            q.nodes, avg, q.fill, q.compressed as i32, q.uncompressed_size
        ));
    }
    ctx.out.simple(&line);
    Ok(())
}

const HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_number_parsing() {
        assert_eq!(atoi(b"12x"), 12);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(strtod_prefix(b"0.5s"), 0.5);
        assert_eq!(strtod_prefix(b"x"), 0.0);
    }

    #[test]
    fn serialized_lengths_like_rdb() {
        assert_eq!(serialized_len(&Str::from_bytes(b"hello")), 6);
        assert_eq!(serialized_len(&Str::from_bytes(b"123")), 2);
        assert_eq!(serialized_len(&Str::from_bytes(b"1000")), 3);
        assert_eq!(serialized_len(&Str::from_bytes(b"100000")), 5);
        assert_eq!(serialized_len(&Str::from_bytes(&[b'a'; 100])), 102);
    }
}
