//! WATCH bookkeeping: per database, which clients watch which key, and which
//! clients saw a watched key change (Redis's CLIENT_DIRTY_CAS). The keyspace
//! touches keys on every write path, so every command family is covered.
//!
//! A key that was already logically expired when it was watched carries the
//! `expired` mark: deleting it is no logical change (multi.c's rules).

use ahash::{AHashMap, AHashSet};

use super::key::Key;

struct Watcher {
    client: u64,
    /// The key was logically expired when WATCH ran.
    expired: bool,
}

/// For SWAPDB: whether a key exists in the replacing database, and whether
/// it is logically expired there.
pub type InReplacement<'a> = &'a dyn Fn(&[u8]) -> (bool, bool);

#[derive(Default)]
pub struct Watches {
    /// Per database: key -> its watchers, in WATCH order.
    keys: Vec<AHashMap<Key, Vec<Watcher>>>,
    /// Per client: the (db, key) pairs it watches.
    clients: AHashMap<u64, Vec<(usize, Key)>>,
    /// Clients whose next EXEC fails.
    dirty: AHashSet<u64>,
    /// Watched keys a command looked up for writing; they are touched once the
    /// command is known to have changed the dataset.
    pending: Vec<(usize, Key)>,
}

impl Watches {
    /// True when some client watches some key (the write paths' fast check).
    #[inline]
    pub fn is_active(&self) -> bool {
        !self.clients.is_empty()
    }

    pub fn is_watched(&self, db: usize, key: &[u8]) -> bool {
        self.keys.get(db).is_some_and(|m| m.contains_key(key))
    }

    /// Adds a watch (no-op when the client already watches the key in `db`).
    pub fn watch(&mut self, client: u64, db: usize, key: &[u8], expired: bool) {
        let mine = self.clients.entry(client).or_default();
        if mine.iter().any(|(d, k)| *d == db && k[..] == *key) {
            return;
        }
        mine.push((db, key.into()));
        if self.keys.len() <= db {
            self.keys.resize_with(db + 1, AHashMap::new);
        }
        self.keys[db]
            .entry(key.into())
            .or_default()
            .push(Watcher { client, expired });
    }

    /// Drops every watch of a client (the dirty mark is the caller's business).
    pub fn unwatch_all(&mut self, client: u64) {
        let Some(mine) = self.clients.remove(&client) else {
            return;
        };
        for (db, key) in mine {
            if let Some(ws) = self.keys[db].get_mut(&key[..]) {
                ws.retain(|w| w.client != client);
                if ws.is_empty() {
                    self.keys[db].remove(&key[..]);
                }
            }
        }
    }

    pub fn is_dirty(&self, client: u64) -> bool {
        !self.dirty.is_empty() && self.dirty.contains(&client)
    }

    pub fn set_dirty(&mut self, client: u64) {
        self.dirty.insert(client);
    }

    /// Forgets a client entirely: its watches and its dirty mark.
    pub fn reset(&mut self, client: u64) {
        self.unwatch_all(client);
        self.dirty.remove(&client);
    }

    /// touchWatchedKey: the key was written; `present` says whether it exists now.
    pub fn touch(&mut self, db: usize, key: &[u8], present: bool) {
        let Some(ws) = self.keys.get_mut(db).and_then(|m| m.get_mut(key)) else {
            return;
        };
        let mut hit = Vec::new();
        for w in ws.iter_mut() {
            if w.expired {
                if !present {
                    // The expired key is gone: logically nothing changed.
                    w.expired = false;
                    continue;
                }
                // As multi.c does: an expired-marked watcher stops the walk.
                break;
            }
            hit.push(w.client);
        }
        self.mark(hit);
    }

    fn mark(&mut self, clients: Vec<u64>) {
        for c in clients {
            self.dirty.insert(c);
            // A dirty client's watches are of no further use.
            self.unwatch_all(c);
        }
    }

    /// touchAllWatchedKeysInDb: database `db` is emptied (FLUSHDB/FLUSHALL) or
    /// replaced (SWAPDB). `exists` tells whether a key is in it now; `replaced`
    /// whether a key exists in, and is logically expired in, the replacement.
    pub fn touch_db(
        &mut self,
        db: usize,
        exists: &dyn Fn(&[u8]) -> bool,
        replaced: Option<InReplacement<'_>>,
    ) {
        let Some(map) = self.keys.get_mut(db) else {
            return;
        };
        let mut hit = Vec::new();
        for (key, ws) in map.iter_mut() {
            let in_emptied = exists(key);
            let (in_new, expired_in_new) = replaced.map_or((false, false), |f| f(key));
            if !in_emptied && !in_new {
                continue;
            }
            for w in ws.iter_mut() {
                if w.expired {
                    if !in_new {
                        w.expired = false;
                        continue;
                    } else if expired_in_new {
                        continue;
                    }
                } else if !in_emptied && expired_in_new {
                    // A missing key replaced by an expired one.
                    w.expired = true;
                    continue;
                }
                hit.push(w.client);
            }
        }
        self.mark(hit);
    }

    /// isWatchedKeyExpired: a key watched alive has expired since.
    pub fn any_expired_since(&self, client: u64, expired: &dyn Fn(usize, &[u8]) -> bool) -> bool {
        let Some(mine) = self.clients.get(&client) else {
            return false;
        };
        mine.iter().any(|(db, key)| {
            let marked = self.keys[*db]
                .get(&key[..])
                .and_then(|ws| ws.iter().find(|w| w.client == client))
                .is_some_and(|w| w.expired);
            !marked && expired(*db, key)
        })
    }

    /// Notes a watched key looked up for writing.
    pub fn note_pending(&mut self, db: usize, key: &[u8]) {
        if self.is_watched(db, key) {
            self.pending.push((db, key.into()));
        }
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    pub fn take_pending(&mut self) -> Vec<(usize, Key)> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_marks_watchers_dirty_and_unwatches() {
        let mut w = Watches::default();
        w.watch(1, 0, b"k", false);
        w.watch(1, 0, b"k", false);
        w.watch(2, 0, b"k", false);
        w.watch(2, 1, b"other", false);
        w.touch(0, b"nope", true);
        assert!(!w.is_dirty(1));
        w.touch(0, b"k", true);
        assert!(w.is_dirty(1) && w.is_dirty(2));
        assert!(!w.is_active(), "dirty clients drop their watches");
        w.reset(1);
        assert!(!w.is_dirty(1));
    }

    #[test]
    fn expired_watch_survives_deletion() {
        let mut w = Watches::default();
        w.watch(1, 0, b"k", true);
        w.touch(0, b"k", false);
        assert!(!w.is_dirty(1), "deleting an expired key changes nothing");
        w.touch(0, b"k", true);
        assert!(w.is_dirty(1), "creating it again does");
    }

    #[test]
    fn flush_touches_only_existing_keys() {
        let mut w = Watches::default();
        w.watch(1, 0, b"a", false);
        w.watch(2, 0, b"b", false);
        w.touch_db(0, &|k| k == b"a", None);
        assert!(w.is_dirty(1));
        assert!(!w.is_dirty(2));
    }
}
