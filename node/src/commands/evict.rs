//! maxmemory enforcement (performEvictions): sample keys per policy and delete
//! the best candidate until used memory is under the limit.

use crate::config::EvictionPolicy;
use crate::server::State;
use crate::store::db::{idle_ms, lfu_decr, Removed};

/// Frees memory until under maxmemory. False when that is impossible
/// (noeviction, or nothing left to evict), which makes denyoom commands fail.
pub fn perform_evictions(st: &mut State) -> bool {
    let max = st.config.maxmemory;
    if max <= 0 || crate::used_memory() as i64 <= max {
        return true;
    }
    // replica-ignore-maxmemory: a replica follows its master's evictions.
    if st.ks.is_replica
        && st
            .config
            .inert
            .get("replica-ignore-maxmemory")
            .is_none_or(|v| v == "yes")
    {
        return true;
    }
    let policy = st.config.maxmemory_policy;
    if policy == EvictionPolicy::NoEviction {
        return false;
    }
    let samples = st.config.maxmemory_samples.max(1) as usize;
    let decay = st.config.lfu_decay_time as u32;
    // Bound the work of one call like maxmemory-eviction-tenacity does.
    let deadline = std::time::Instant::now()
        + std::time::Duration::from_micros(
            500 + 5000 * st.config.maxmemory_eviction_tenacity as u64 / 10,
        );
    while crate::used_memory() as i64 > max {
        let now = st.ks.now_ms;
        let mut best: Option<(f64, usize, crate::store::db::Key)> = None;
        for (dbi, db) in st.ks.dbs.iter().enumerate() {
            let volatile = policy.volatile_only();
            let len = if volatile {
                db.expires.len()
            } else {
                db.dict.len()
            };
            if len == 0 {
                continue;
            }
            for _ in 0..samples {
                let (key, score) = if volatile {
                    let Some((k, &when)) = db.expires.random() else {
                        break;
                    };
                    let score = match policy {
                        EvictionPolicy::VolatileTtl => -(when as f64),
                        EvictionPolicy::VolatileRandom => rand::random::<f64>(),
                        _ => match db.dict.get(k) {
                            Some(o) => object_score(policy, o.lru, now, decay),
                            None => continue,
                        },
                    };
                    (k, score)
                } else {
                    let Some((k, o)) = db.dict.random() else {
                        break;
                    };
                    let score = match policy {
                        EvictionPolicy::AllkeysRandom => rand::random::<f64>(),
                        _ => object_score(policy, o.lru, now, decay),
                    };
                    (k, score)
                };
                if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                    best = Some((score, dbi, key.clone()));
                }
            }
        }
        let Some((_, db, key)) = best else {
            return false;
        };
        st.ks.delete(db, &key);
        st.ks.stats.evicted += 1;
        st.ks
            .event(crate::store::notify::class::EVICTED, "evicted", db, &key);
        st.ks.removed.push(Removed::Evicted { db, key });
        if std::time::Instant::now() > deadline {
            break;
        }
    }
    crate::used_memory() as i64 <= max
}

/// Higher is a better eviction candidate: idle time for LRU, inverse frequency for LFU.
fn object_score(policy: EvictionPolicy, lru: u32, now_ms: i64, decay: u32) -> f64 {
    if policy.is_lfu() {
        255.0 - lfu_decr(lru, now_ms, decay) as f64
    } else {
        idle_ms(lru, now_ms) as f64
    }
}
