//! The keyspace: numbered databases of key -> object, a parallel table of expiry
//! times (like Redis's `expires` dict, so the active cycle only visits volatile
//! keys), lazy expiry on access, and the access clock behind LRU/LFU.

use super::dict::Dict;
use super::notify::class;
use super::value::{Obj, Value};

pub use super::key::Key;

#[derive(Default)]
pub struct Db {
    pub dict: Dict<Key, Obj>,
    pub expires: Dict<Key, i64>,
    /// Resume point of the active expiry cycle over `expires`.
    pub expires_cursor: u64,
    /// Running average TTL of sampled keys (INFO keyspace avg_ttl).
    pub avg_ttl: i64,
}

impl Db {
    pub fn len(&self) -> usize {
        self.dict.len()
    }
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }
}

#[derive(Default, Debug, Clone)]
pub struct KeyspaceStats {
    pub hits: u64,
    pub misses: u64,
    pub expired: u64,
    pub evicted: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached: u64,
    pub expire_cycle_cpu_ms: u64,
}

/// How the 24-bit access clock of each object is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Lru,
    Lfu { log_factor: u32, decay_minutes: u32 },
}

/// A key removed by the keyspace itself (expiry or eviction), for replication
/// to propagate as DELs (keyspace notifications are raised where the key goes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    Expired { db: usize, key: Key },
    Evicted { db: usize, key: Key },
}

pub const LFU_INIT_VAL: u32 = 5;
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// The time every expiry check of the current command uses.
    pub now_ms: i64,
    /// A replica never deletes expired keys itself: it hides them and waits for the
    /// master's DEL (Redis 7 semantics).
    pub is_replica: bool,
    pub clock: Clock,
    pub stats: KeyspaceStats,
    /// Changes since the last save (rdb_changes_since_last_save).
    pub dirty: u64,
    pub removed: Vec<Removed>,
    /// DEBUG SET-ACTIVE-EXPIRE: when false the cron leaves expired keys to lazy expiry.
    pub active_expire_enabled: bool,
    /// Set while clients are paused (CLIENT PAUSE): expired keys are reported
    /// missing but not deleted, so the dataset does not change (Redis 6.2+).
    pub expire_paused: bool,
    /// WATCHed keys: every write path below touches them.
    pub watch: super::watch::Watches,
    /// Keyspace notifications: the parsed setting and the events not yet published.
    pub notify: super::notify::Notifications,
    /// Keys blocked clients wait on: every path creating a key signals them.
    pub blocking: super::blocking::BlockingKeys,
}

impl Keyspace {
    pub fn new(databases: usize) -> Self {
        Keyspace {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            now_ms: crate::util::now_ms(),
            is_replica: false,
            clock: Clock::Lru,
            stats: KeyspaceStats::default(),
            dirty: 0,
            removed: Vec::new(),
            active_expire_enabled: true,
            expire_paused: false,
            watch: Default::default(),
            notify: Default::default(),
            blocking: Default::default(),
        }
    }

    /// Raises a keyspace event (notifyKeyspaceEvent); one branch when off.
    #[inline]
    pub fn event(&mut self, class: u32, event: &'static str, db: usize, key: &[u8]) {
        self.notify.push(class, event, db, key);
    }

    pub fn lru_clock(&self) -> u32 {
        ((self.now_ms / 1000) as u64 & LRU_CLOCK_MAX as u64) as u32
    }

    /// A fresh access clock for a newly created object.
    pub fn new_clock(&self) -> u32 {
        match self.clock {
            Clock::Lru => self.lru_clock(),
            Clock::Lfu { .. } => (lfu_minutes(self.now_ms) << 8) | LFU_INIT_VAL,
        }
    }

    pub fn get_expire(&self, db: usize, key: &[u8]) -> Option<i64> {
        let d = &self.dbs[db];
        if d.expires.is_empty() {
            return None;
        }
        d.expires.get(key).copied()
    }

    /// True when the key exists logically expired. On a master it is deleted now;
    /// on a replica it is only hidden.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        let Some(when) = self.get_expire(db, key) else {
            return false;
        };
        // Redis's keyIsExpired: the key lives through its expiry millisecond.
        if when >= self.now_ms {
            return false;
        }
        if self.is_replica || self.expire_paused {
            return true;
        }
        self.delete(db, key);
        self.stats.expired += 1;
        self.event(class::EXPIRED, "expired", db, key);
        self.removed.push(Removed::Expired {
            db,
            key: key.into(),
        });
        true
    }

    /// Looks a key up for reading: expiry, hit/miss stats, access clock.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut Obj> {
        if self.expire_if_needed(db, key) {
            self.stats.misses += 1;
            self.event(class::KEY_MISS, "keymiss", db, key);
            return None;
        }
        let clock = self.clock;
        let now = self.now_ms;
        let Keyspace {
            dbs, stats, notify, ..
        } = self;
        match dbs[db].dict.get_mut(key) {
            Some(o) => {
                stats.hits += 1;
                touch(o, clock, now);
                Some(o)
            }
            None => {
                stats.misses += 1;
                notify.push(class::KEY_MISS, "keymiss", db, key);
                None
            }
        }
    }

    /// Looks a key up for writing: expiry and access clock, no hit/miss stats.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Obj> {
        if self.expire_if_needed(db, key) {
            return None;
        }
        if self.watch.is_active() {
            // The caller may change the value in place: touched if the command
            // changes the dataset (see `commit_watch`).
            self.watch.note_pending(db, key);
        }
        let clock = self.clock;
        let now = self.now_ms;
        let o = self.dbs[db].dict.get_mut(key)?;
        touch(o, clock, now);
        Some(o)
    }

    /// Existence without touching the access clock or stats (EXISTS, TYPE use the
    /// read path in Redis; this is for internal checks).
    pub fn contains(&mut self, db: usize, key: &[u8]) -> bool {
        !self.expire_if_needed(db, key) && self.dbs[db].dict.contains_key(key)
    }

    /// Reads an object without any side effect besides lazy expiry (OBJECT, TYPE ...
    /// that must not update the access clock).
    pub fn peek(&mut self, db: usize, key: &[u8]) -> Option<&Obj> {
        if self.expire_if_needed(db, key) {
            return None;
        }
        self.dbs[db].dict.get(key)
    }

    /// Sets a key (overwrite), dropping any TTL unless `keep_ttl`.
    pub fn set(&mut self, db: usize, key: &[u8], val: Value, keep_ttl: bool) {
        if !self.dbs[db].expires.is_empty() {
            // Overwriting an expired key deletes it first, as setKey's
            // lookupKeyWrite does: watchers see it and replicas get its DEL.
            self.expire_if_needed(db, key);
        }
        let lru = self.new_clock();
        let d = &mut self.dbs[db];
        match d.dict.get_mut(key) {
            // dbOverwrite: no ready signal, as in Redis 7.0.
            Some(o) => {
                o.val = val;
                o.lru = lru;
            }
            None => {
                let blocks = can_block(&val);
                d.dict.insert_new(key.into(), Obj { val, lru });
                self.notify.push(class::NEW, "new", db, key);
                if blocks {
                    self.signal_ready(db, key);
                }
            }
        }
        let d = &mut self.dbs[db];
        if !keep_ttl && !d.expires.is_empty() {
            d.expires.remove(key);
        }
        self.touched(db, key);
    }

    /// Adds a key known to be absent.
    pub fn add(&mut self, db: usize, key: &[u8], val: Value) {
        let lru = self.new_clock();
        let blocks = can_block(&val);
        self.dbs[db].dict.insert_new(key.into(), Obj { val, lru });
        self.event(class::NEW, "new", db, key);
        self.touched(db, key);
        if blocks {
            self.signal_ready(db, key);
        }
    }

    /// Inserts an existing object under a key known to be absent (RENAME, MOVE).
    pub fn insert_obj(&mut self, db: usize, key: &[u8], obj: Obj) {
        let blocks = can_block(&obj.val);
        self.dbs[db].dict.insert_new(key.into(), obj);
        self.event(class::NEW, "new", db, key);
        self.touched(db, key);
        if blocks {
            self.signal_ready(db, key);
        }
    }

    /// signalKeyAsReady from dbAdd: a list or sorted set appeared under a
    /// name clients may be blocked on. The dispatcher serves them after the
    /// command; writes applied from a master will go through here too.
    #[inline]
    fn signal_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocking.is_active() {
            self.blocking.signal(db, key);
        }
    }

    /// scanDatabaseForReadyKeys: after SWAPDB, every blocked-on key of `db`
    /// that now holds a list or sorted set is ready.
    fn scan_ready(&mut self, db: usize) {
        if !self.blocking.is_active() {
            return;
        }
        for key in self.blocking.keys_in(db) {
            if self.dbs[db]
                .dict
                .get(&key[..])
                .is_some_and(|o| can_block(&o.val))
            {
                self.blocking.signal(db, &key);
            }
        }
    }

    /// Tells the watchers of a key it was written.
    #[inline]
    fn touched(&mut self, db: usize, key: &[u8]) {
        if self.watch.is_active() {
            let present = self.dbs[db].dict.contains_key(key);
            self.watch.touch(db, key, present);
        }
    }

    /// After each command: keys looked up for writing count as touched when
    /// the command changed the dataset (`changed`), as Redis signals only
    /// real modifications.
    pub fn commit_watch(&mut self, changed: bool) {
        for (db, key) in self.watch.take_pending() {
            if changed {
                self.touched(db, &key);
            }
        }
    }

    /// keyIsExpired: logically expired, whether or not deleted yet.
    pub fn key_is_expired(&self, db: usize, key: &[u8]) -> bool {
        self.get_expire(db, key).is_some_and(|t| t < self.now_ms)
    }

    /// touchAllWatchedKeysInDb for database `db`, emptied or replaced by `with`.
    fn touch_db_watchers(&mut self, db: usize, with: Option<usize>) {
        if !self.watch.is_active() {
            return;
        }
        let now = self.now_ms;
        let Keyspace { dbs, watch, .. } = self;
        let emptied = &dbs[db];
        let exists = |k: &[u8]| emptied.dict.contains_key(k);
        match with {
            None => watch.touch_db(db, &exists, None),
            Some(w) => {
                let other = &dbs[w];
                let replaced = |k: &[u8]| {
                    let present = other.dict.contains_key(k);
                    let expired = present && other.expires.get(k).is_some_and(|t| *t < now);
                    (present, expired)
                };
                watch.touch_db(db, &exists, Some(&replaced));
            }
        }
    }

    /// SWAPDB: the two databases trade contents; watchers stay with the index.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        self.touch_db_watchers(a, Some(b));
        self.touch_db_watchers(b, Some(a));
        self.dbs.swap(a, b);
        self.scan_ready(a);
        self.scan_ready(b);
    }

    /// Empties a database and returns its old contents (lazy FLUSHDB).
    pub fn take_db(&mut self, db: usize) -> Db {
        self.touch_db_watchers(db, None);
        std::mem::take(&mut self.dbs[db])
    }

    pub fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        let d = &mut self.dbs[db];
        if !d.expires.is_empty() {
            d.expires.remove(key);
        }
        let removed = d.dict.remove(key).is_some();
        if removed {
            self.touched(db, key);
        }
        removed
    }

    /// Removes a key and returns its object and TTL (RENAME, MOVE, GETDEL).
    pub fn take(&mut self, db: usize, key: &[u8]) -> Option<(Obj, Option<i64>)> {
        let d = &mut self.dbs[db];
        let (_, o) = d.dict.remove(key)?;
        let ttl = if d.expires.is_empty() {
            None
        } else {
            d.expires.remove(key).map(|(_, t)| t)
        };
        self.touched(db, key);
        Some((o, ttl))
    }

    /// Sets an absolute expiry (ms) on an existing key.
    pub fn set_expire(&mut self, db: usize, key: &[u8], when_ms: i64) {
        let d = &mut self.dbs[db];
        if let Some(t) = d.expires.get_mut(key) {
            *t = when_ms;
        } else {
            d.expires.insert_new(key.into(), when_ms);
        }
        self.touched(db, key);
    }

    pub fn persist(&mut self, db: usize, key: &[u8]) -> bool {
        let removed = self.dbs[db].expires.remove(key).is_some();
        if removed {
            self.touched(db, key);
        }
        removed
    }

    pub fn flush_db(&mut self, db: usize) -> usize {
        self.touch_db_watchers(db, None);
        let d = &mut self.dbs[db];
        let n = d.dict.len();
        d.dict.clear();
        d.expires.clear();
        d.expires_cursor = 0;
        d.avg_ttl = 0;
        n
    }

    pub fn flush_all(&mut self) -> usize {
        (0..self.dbs.len()).map(|i| self.flush_db(i)).sum()
    }

    pub fn key_count(&self) -> usize {
        self.dbs.iter().map(|d| d.len()).sum()
    }

    /// One slice of the active expiry cycle (activeExpireCycle): walks each db's
    /// `expires` with a cursor, deleting expired keys, and keeps going on a db while
    /// more than 10% of the sampled keys were expired, until `budget_us` is spent.
    pub fn active_expire_cycle(&mut self, budget_us: u64) {
        if self.is_replica {
            return;
        }
        const KEYS_PER_LOOP: usize = 20;
        const ACCEPTABLE_STALE_PERCENT: usize = 10;
        let start = std::time::Instant::now();
        let now = self.now_ms;
        let mut total_sampled = 0usize;
        let mut total_expired = 0usize;
        'dbs: for db in 0..self.dbs.len() {
            loop {
                let d = &mut self.dbs[db];
                if d.expires.is_empty() {
                    d.expires_cursor = 0;
                    break;
                }
                let mut expired: Vec<Key> = Vec::new();
                let mut sampled = 0;
                let mut ttl_sum = 0i64;
                let mut ttl_samples = 0i64;
                let mut cursor = d.expires_cursor;
                let mut buckets = 0;
                while sampled < KEYS_PER_LOOP && buckets < KEYS_PER_LOOP * 20 {
                    cursor = d.expires.scan(cursor, |k, &when| {
                        sampled += 1;
                        if when < now {
                            expired.push(k.clone());
                        } else {
                            ttl_sum += when - now;
                            ttl_samples += 1;
                        }
                    });
                    buckets += 1;
                    if cursor == 0 {
                        break;
                    }
                }
                d.expires_cursor = cursor;
                if ttl_samples > 0 {
                    let avg = ttl_sum / ttl_samples;
                    // Same smoothing as Redis: the new sample weighs 2%.
                    d.avg_ttl = if d.avg_ttl == 0 {
                        avg
                    } else {
                        (d.avg_ttl / 50) * 49 + avg / 50
                    };
                }
                let n_expired = expired.len();
                for k in expired {
                    self.delete(db, &k);
                    self.stats.expired += 1;
                    self.event(class::EXPIRED, "expired", db, &k);
                    self.removed.push(Removed::Expired { db, key: k });
                }
                total_sampled += sampled;
                total_expired += n_expired;
                if start.elapsed().as_micros() as u64 > budget_us {
                    self.stats.expired_time_cap_reached += 1;
                    break 'dbs;
                }
                if sampled == 0
                    || n_expired * 100 / sampled.max(1) <= ACCEPTABLE_STALE_PERCENT
                    || cursor == 0
                {
                    break;
                }
            }
        }
        let perc = if total_sampled > 0 {
            total_expired as f64 / total_sampled as f64
        } else {
            0.0
        };
        self.stats.expired_stale_perc = perc * 0.05 + self.stats.expired_stale_perc * 0.95;
        self.stats.expire_cycle_cpu_ms += start.elapsed().as_millis() as u64;
    }

    /// Cron housekeeping: finish rehashes a little at a time and shrink sparse tables.
    pub fn rehash_cron(&mut self, steps: usize) {
        for d in &mut self.dbs {
            d.dict.shrink_if_needed();
            d.expires.shrink_if_needed();
            d.dict.rehash(steps);
            d.expires.rehash(steps);
        }
    }
}

/// Whether clients block on values of this type (getBlockedTypeByType).
#[inline]
fn can_block(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::ZSet(_))
}

pub fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) & 0xFFFF) as u32
}

/// Updates an object's access clock on a read or write (updateLFU / LRU_CLOCK).
fn touch(o: &mut Obj, clock: Clock, now_ms: i64) {
    match clock {
        Clock::Lru => o.lru = ((now_ms / 1000) as u64 & LRU_CLOCK_MAX as u64) as u32,
        Clock::Lfu {
            log_factor,
            decay_minutes,
        } => {
            let counter = lfu_decr(o.lru, now_ms, decay_minutes);
            let counter = lfu_log_incr(counter, log_factor);
            o.lru = (lfu_minutes(now_ms) << 8) | counter;
        }
    }
}

/// The LFU counter after decay (LFUDecrAndReturn).
pub fn lfu_decr(lru: u32, now_ms: i64, decay_minutes: u32) -> u32 {
    let ldt = lru >> 8;
    let counter = lru & 255;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    };
    let periods = elapsed.checked_div(decay_minutes).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// Logarithmic counter increment (LFULogIncr).
fn lfu_log_incr(counter: u32, log_factor: u32) -> u32 {
    if counter == 255 {
        return 255;
    }
    let r: f64 = rand::random();
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// Milliseconds since the object was last accessed (estimateObjectIdleTime).
pub fn idle_ms(lru: u32, now_ms: i64) -> u64 {
    let now = ((now_ms / 1000) as u64 & LRU_CLOCK_MAX as u64) as u32;
    let secs = if now >= lru {
        now - lru
    } else {
        LRU_CLOCK_MAX - lru + now
    };
    secs as u64 * 1000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::value::Str;

    fn s(v: &str) -> Value {
        Value::Str(Str::from_bytes(v.as_bytes()))
    }

    #[test]
    fn lazy_expiry_on_master_and_replica() {
        let mut ks = Keyspace::new(2);
        ks.set(0, b"a", s("1"), false);
        ks.set_expire(0, b"a", ks.now_ms - 1);
        ks.is_replica = true;
        assert!(ks.lookup_read(0, b"a").is_none());
        assert_eq!(ks.dbs[0].len(), 1, "a replica hides but keeps the key");
        ks.is_replica = false;
        assert!(ks.lookup_read(0, b"a").is_none());
        assert_eq!(ks.dbs[0].len(), 0);
        assert_eq!(
            ks.removed,
            vec![Removed::Expired {
                db: 0,
                key: (*b"a").into()
            }]
        );
        assert_eq!(ks.stats.expired, 1);
    }

    #[test]
    fn paused_expiry_hides_but_keeps() {
        let mut ks = Keyspace::new(1);
        ks.set(0, b"a", s("1"), false);
        ks.set_expire(0, b"a", ks.now_ms - 1);
        ks.expire_paused = true;
        assert!(ks.lookup_read(0, b"a").is_none());
        assert_eq!(
            ks.dbs[0].len(),
            1,
            "CLIENT PAUSE keeps the dataset unchanged"
        );
        ks.expire_paused = false;
        assert!(ks.lookup_read(0, b"a").is_none());
        assert_eq!(ks.dbs[0].len(), 0);
    }

    #[test]
    fn keyspace_raises_new_expired_and_keymiss() {
        use crate::store::notify::{class, effective_flags};
        let mut ks = Keyspace::new(1);
        ks.set(0, b"quiet", s("1"), false);
        assert!(
            ks.notify.queue.is_empty(),
            "notifications off: nothing queued"
        );
        ks.notify.flags =
            effective_flags(class::KEYEVENT | class::NEW | class::EXPIRED | class::KEY_MISS);
        ks.set(0, b"a", s("1"), false);
        ks.set(0, b"a", s("2"), false);
        ks.set_expire(0, b"a", ks.now_ms - 1);
        assert!(ks.lookup_read(0, b"a").is_none());
        assert!(
            ks.lookup_write(0, b"gone").is_none(),
            "writes raise no keymiss"
        );
        let got: Vec<_> = ks
            .notify
            .queue
            .iter()
            .map(|e| (e.event, e.key.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("new", b"a".to_vec()),
                ("expired", b"a".to_vec()),
                ("keymiss", b"a".to_vec()),
            ]
        );
    }

    #[test]
    fn set_clears_ttl_unless_kept() {
        let mut ks = Keyspace::new(1);
        ks.set(0, b"k", s("v"), false);
        ks.set_expire(0, b"k", ks.now_ms + 10_000);
        ks.set(0, b"k", s("w"), true);
        assert!(ks.get_expire(0, b"k").is_some());
        ks.set(0, b"k", s("x"), false);
        assert!(ks.get_expire(0, b"k").is_none());
    }

    #[test]
    fn active_cycle_removes_expired_keys() {
        let mut ks = Keyspace::new(1);
        for i in 0..1000 {
            let k = format!("k{i}");
            ks.set(0, k.as_bytes(), s("v"), false);
            let when = if i % 2 == 0 {
                ks.now_ms - 1
            } else {
                ks.now_ms + 100_000
            };
            ks.set_expire(0, k.as_bytes(), when);
        }
        for _ in 0..100 {
            ks.active_expire_cycle(1_000_000);
        }
        assert_eq!(ks.dbs[0].len(), 500);
        assert_eq!(ks.stats.expired, 500);
    }
}
