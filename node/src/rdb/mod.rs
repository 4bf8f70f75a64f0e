//! RDB persistence in Redis 7.0's format (version 10): snapshots of the
//! keyspace, the writer (SAVE, BGSAVE, full sync, DUMP) and the reader
//! (startup, DEBUG RELOAD, full sync, RESTORE).
//!
//! Saving is split so the keyspace lock is held only briefly:
//! [`snapshot`] clones every object under the lock (values are compact, so a
//! clone is mostly a memcpy per key), and [`write()`] serializes the clone on
//! another thread. Loading parses the whole file into fresh databases first
//! ([`load`]) and [`install`]s them only when everything parsed, so a corrupt
//! or truncated file leaves the running data untouched.

pub mod crc64;
pub mod lzf;
pub mod packed;
pub mod read;
pub mod write;

use crate::config::{Config, EvictionPolicy};
use crate::store::db::{Clock, Db, Key, Keyspace};
use crate::store::value::Obj;

pub use read::{load, LoadOpts, Loaded};
pub use write::write;

/// The RDB version Redis 7.0 writes and the newest it reads.
pub const RDB_VERSION: u16 = 10;

/// Top-level opcodes.
pub(crate) mod op {
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// Value type codes.
pub(crate) mod ty {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
}

/// The AUX fields 7.0 writes, in its order. The replication fields
/// (`repl-stream-db`, `repl-id`, `repl-offset`) are written only when
/// `repl_id` is not empty, as Redis writes them only when it has replication
/// info; on load, `repl_id` is empty when the file had none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aux {
    pub redis_ver: String,
    pub redis_bits: i64,
    /// Unix seconds when the snapshot was taken.
    pub ctime: i64,
    pub used_mem: i64,
    pub repl_stream_db: i64,
    pub repl_id: String,
    pub repl_offset: i64,
    pub aof_base: bool,
}

impl Default for Aux {
    fn default() -> Self {
        Aux {
            redis_ver: crate::REDIS_VERSION.to_string(),
            redis_bits: 64,
            ctime: crate::util::now_ms() / 1000,
            used_mem: crate::used_memory() as i64,
            repl_stream_db: 0,
            repl_id: String::new(),
            repl_offset: 0,
            aof_base: false,
        }
    }
}

/// What the writer needs from the config, captured with the snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaveOpts {
    /// rdbcompression: LZF for strings longer than 20 bytes.
    pub compression: bool,
    /// rdbchecksum: a zero checksum when off.
    pub checksum: bool,
    /// IDLE opcodes (maxmemory-policy is an LRU policy).
    pub save_lru: bool,
    /// FREQ opcodes (maxmemory-policy is an LFU policy).
    pub save_lfu: bool,
    pub lfu_decay_minutes: u32,
    /// list-compress-depth: inner quicklist nodes are stored LZF-compressed.
    pub list_compress_depth: usize,
    /// The time idle times and LFU decay are computed against.
    pub now_ms: i64,
}

impl SaveOpts {
    pub fn from_config(c: &Config, now_ms: i64) -> SaveOpts {
        SaveOpts {
            compression: c.rdbcompression,
            checksum: c.rdbchecksum,
            save_lru: matches!(
                c.maxmemory_policy,
                EvictionPolicy::VolatileLru | EvictionPolicy::AllkeysLru
            ),
            save_lfu: c.maxmemory_policy.is_lfu(),
            lfu_decay_minutes: c.lfu_decay_time.max(0) as u32,
            list_compress_depth: c.list_compress_depth.max(0) as usize,
            now_ms,
        }
    }
}

/// The settings that decide how loaded values are encoded (the same
/// thresholds commands use), and the policy that decides the access clock.
#[derive(Debug, Clone, Copy)]
pub struct Encodings {
    pub list_fill: i64,
    pub list_compress_depth: i64,
    pub hash: crate::store::hash::Limits,
    pub zset: crate::store::zset::Limits,
    pub set_max_intset: usize,
    pub clock: Clock,
}

impl Encodings {
    pub fn from_config(c: &Config) -> Encodings {
        Encodings {
            list_fill: c.list_max_listpack_size,
            list_compress_depth: c.list_compress_depth,
            hash: crate::store::hash::Limits::from_config(
                c.hash_max_listpack_entries,
                c.hash_max_listpack_value,
            ),
            zset: crate::store::zset::Limits {
                entries: c.zset_max_listpack_entries.max(0) as usize,
                value: c.zset_max_listpack_value.max(0) as usize,
            },
            set_max_intset: c.set_max_intset_entries.max(0) as usize,
            clock: crate::server::clock_for(c),
        }
    }
}

/// One database of a snapshot: its index, how many keys have a TTL, and a
/// copy of every key with its object and expiry.
pub struct SnapDb {
    pub index: usize,
    pub expires: usize,
    pub entries: Vec<(Key, Obj, Option<i64>)>,
}

/// A point-in-time copy of the keyspace, serialized outside the lock.
pub struct Snapshot {
    pub dbs: Vec<SnapDb>,
    pub opts: SaveOpts,
}

impl Snapshot {
    pub fn key_count(&self) -> usize {
        self.dbs.iter().map(|d| d.entries.len()).sum()
    }
}

/// Copies the keyspace (call with the State lock held). Logically expired
/// keys are kept, as Redis saves them (the loader drops them on a master).
pub fn snapshot(ks: &Keyspace, opts: SaveOpts) -> Snapshot {
    let dbs = ks
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.is_empty())
        .map(|(index, d)| {
            let has_expires = !d.expires.is_empty();
            let mut entries = Vec::with_capacity(d.dict.len());
            for (k, o) in d.dict.iter() {
                let exp = if has_expires {
                    d.expires.get(k).copied()
                } else {
                    None
                };
                entries.push((k.clone(), o.clone(), exp));
            }
            SnapDb {
                index,
                expires: d.expires.len(),
                entries,
            }
        })
        .collect();
    Snapshot { dbs, opts }
}

/// Replaces every database with the loaded ones (emptying those the file
/// did not have) and returns the old databases, so the caller can drop them
/// outside the lock. Watchers of the replaced keys are touched, as Redis's
/// emptyData does.
pub fn install(ks: &mut Keyspace, loaded: Loaded) -> Vec<Db> {
    let n = ks.dbs.len();
    let mut old = Vec::with_capacity(n);
    for i in 0..n {
        old.push(ks.take_db(i));
    }
    for (index, db) in loaded.dbs {
        if index < n {
            ks.dbs[index] = db;
        }
    }
    old
}

/// Errors of loading an RDB file or a DUMP payload. The texts follow Redis's
/// log lines where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdbError {
    #[error("Wrong signature trying to load DB from file")]
    Signature,
    #[error("Can't handle RDB format version {0}")]
    Version(u32),
    #[error("Short read or OOM loading DB. Unrecoverable error, aborting now.")]
    Truncated,
    #[error("Wrong RDB checksum expected: ({expected:x}) got ({got:x}). Aborting now.")]
    Checksum { expected: u64, got: u64 },
    #[error("Internal error in RDB reading: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "FATAL: Data file was created with a Redis server configured to handle more than {0} databases."
    )]
    TooManyDbs(usize),
}

#[cfg(test)]
mod tests;
