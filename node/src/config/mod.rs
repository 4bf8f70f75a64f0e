//! Settings: one registry (name, aliases, type, default, mutability) behind
//! redis.conf parsing, `--name value` arguments, CONFIG GET/SET/RESETSTAT/REWRITE.
//! Values live in typed fields of [`Config`] so hot paths read them directly.

pub mod file;
mod registry;

pub mod rewrite;

pub use registry::{
    find, settings, trim_double, Setting, SettingKind, HIDDEN, IMMUTABLE, PROTECTED, SENSITIVE,
};

/// The printed value of a setting by name (empty for unknown names).
pub fn registry_value(c: &Config, name: &str) -> String {
    find(name).map(|s| (s.get)(c)).unwrap_or_default()
}

/// Eviction policy (maxmemory-policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictionPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl EvictionPolicy {
    pub const NAMES: &'static [(&'static str, EvictionPolicy)] = &[
        ("volatile-lru", EvictionPolicy::VolatileLru),
        ("volatile-lfu", EvictionPolicy::VolatileLfu),
        ("volatile-random", EvictionPolicy::VolatileRandom),
        ("volatile-ttl", EvictionPolicy::VolatileTtl),
        ("allkeys-lru", EvictionPolicy::AllkeysLru),
        ("allkeys-lfu", EvictionPolicy::AllkeysLfu),
        ("allkeys-random", EvictionPolicy::AllkeysRandom),
        ("noeviction", EvictionPolicy::NoEviction),
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(n, _)| *n)
            .unwrap_or("noeviction")
    }

    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLfu | EvictionPolicy::AllkeysLfu
        )
    }

    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLru
                | EvictionPolicy::VolatileLfu
                | EvictionPolicy::VolatileRandom
                | EvictionPolicy::VolatileTtl
        )
    }
}

/// `enable-debug-command` and friends: no, yes, or only from loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protected {
    No,
    Yes,
    Local,
}

/// Every setting's current value. Settings with behaviour have typed fields named
/// after their directive; settings that are accepted and reported but have no
/// behaviour of their own here (TLS, cluster, AOF tuning...) sit in `inert`.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: Vec<String>,
    pub port: i64,
    pub protected_mode: bool,
    pub timeout: i64,
    pub tcp_keepalive: i64,
    pub maxclients: i64,
    pub databases: i64,
    pub hz: i64,
    pub io_threads: i64,
    pub loglevel: String,
    pub logfile: String,
    pub daemonize: bool,
    pub pidfile: String,
    pub enable_debug_command: Protected,
    pub requirepass: Option<Vec<u8>>,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: i64,
    pub maxmemory: i64,
    pub maxmemory_policy: EvictionPolicy,
    pub maxmemory_samples: i64,
    pub maxmemory_eviction_tenacity: i64,
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
    pub active_expire_effort: i64,
    pub activerehashing: bool,
    pub save: String,
    pub dir: String,
    pub dbfilename: String,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub stop_writes_on_bgsave_error: bool,
    pub replicaof: String,
    pub masterauth: Option<Vec<u8>>,
    pub replica_read_only: bool,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: i64,
    pub latency_monitor_threshold: i64,
    /// Per-command latency histograms for INFO latencystats.
    pub latency_tracking: bool,
    pub latency_tracking_info_percentiles: Vec<f64>,
    pub notify_keyspace_events: String,
    /// The classes as set: the normalized text above drops `n` next to `A`,
    /// as Redis prints it, but Redis keeps the flag.
    pub notify_keyspace_flags: u32,
    pub hash_max_listpack_entries: i64,
    pub hash_max_listpack_value: i64,
    pub list_max_listpack_size: i64,
    pub list_compress_depth: i64,
    pub set_max_intset_entries: i64,
    pub zset_max_listpack_entries: i64,
    pub zset_max_listpack_value: i64,
    pub hll_sparse_max_bytes: i64,
    pub inert: std::collections::BTreeMap<&'static str, String>,
}

impl Default for Config {
    fn default() -> Self {
        let mut c = Config {
            bind: vec![],
            port: 0,
            protected_mode: false,
            timeout: 0,
            tcp_keepalive: 0,
            maxclients: 0,
            databases: 0,
            hz: 0,
            io_threads: 0,
            loglevel: String::new(),
            logfile: String::new(),
            daemonize: false,
            pidfile: String::new(),
            enable_debug_command: Protected::No,
            requirepass: None,
            proto_max_bulk_len: 0,
            client_query_buffer_limit: 0,
            maxmemory: 0,
            maxmemory_policy: EvictionPolicy::NoEviction,
            maxmemory_samples: 0,
            maxmemory_eviction_tenacity: 0,
            lfu_log_factor: 0,
            lfu_decay_time: 0,
            active_expire_effort: 0,
            activerehashing: false,
            save: String::new(),
            dir: String::new(),
            dbfilename: String::new(),
            rdbcompression: false,
            rdbchecksum: false,
            stop_writes_on_bgsave_error: false,
            replicaof: String::new(),
            masterauth: None,
            replica_read_only: false,
            slowlog_log_slower_than: 0,
            slowlog_max_len: 0,
            latency_monitor_threshold: 0,
            latency_tracking: false,
            latency_tracking_info_percentiles: Vec::new(),
            notify_keyspace_events: String::new(),
            notify_keyspace_flags: 0,
            hash_max_listpack_entries: 0,
            hash_max_listpack_value: 0,
            list_max_listpack_size: 0,
            list_compress_depth: 0,
            set_max_intset_entries: 0,
            zset_max_listpack_entries: 0,
            zset_max_listpack_value: 0,
            hll_sparse_max_bytes: 0,
            inert: Default::default(),
        };
        for s in settings() {
            // Defaults are written in redis.conf syntax and checked by a unit test,
            // so a failure here is a programming error.
            if let Err(e) = (s.set)(&mut c, s.default.as_bytes()) {
                panic!("bad default for {}: {e}", s.name);
            }
        }
        c
    }
}

impl Config {
    /// CONFIG GET: value of a setting as Redis prints it.
    pub fn get(&self, s: &Setting) -> String {
        (s.get)(self)
    }

    /// Applies one `name value...` directive (file, argv or CONFIG SET).
    pub fn set(&mut self, name: &str, value: &[u8]) -> Result<(), String> {
        let s = find(name).ok_or_else(|| format!("unknown setting '{name}'"))?;
        (s.set)(self, value)
    }
}
