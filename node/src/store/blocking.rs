//! Keys that blocked clients wait on (Redis's `db->blocking_keys`) and the
//! keys that became ready for them (`server.ready_keys`). It lives in the
//! keyspace so that every write path that creates a key (commands, and later
//! the replication stream) signals it; the command layer serves the waiters.

use std::collections::VecDeque;

use ahash::{AHashMap, AHashSet};

use super::key::Key;

#[derive(Default)]
pub struct BlockingKeys {
    /// Per database: key -> ids of the clients blocked on it, in block order.
    keys: Vec<AHashMap<Key, VecDeque<u64>>>,
    /// Keys signalled since the last serving pass, in signal order.
    ready: Vec<(usize, Key)>,
    /// The same keys, to signal each at most once per pass (db->ready_keys).
    ready_set: AHashSet<(usize, Key)>,
    /// How many (client, key) registrations there are, for the fast check.
    entries: usize,
}

impl BlockingKeys {
    /// True when some client is blocked on some key (the write paths' fast check).
    #[inline]
    pub fn is_active(&self) -> bool {
        self.entries != 0
    }

    /// Appends `client` to the waiters of `key` (blockForKeys).
    pub fn block(&mut self, client: u64, db: usize, key: &[u8]) {
        if self.keys.len() <= db {
            self.keys.resize_with(db + 1, AHashMap::new);
        }
        self.keys[db]
            .entry(key.into())
            .or_default()
            .push_back(client);
        self.entries += 1;
    }

    /// Removes `client` from the waiters of `key` (unblockClientWaitingData).
    pub fn unblock(&mut self, client: u64, db: usize, key: &[u8]) {
        let Some(m) = self.keys.get_mut(db) else {
            return;
        };
        if let Some(q) = m.get_mut(key) {
            let before = q.len();
            q.retain(|&c| c != client);
            self.entries -= before - q.len();
            if q.is_empty() {
                m.remove(key);
            }
        }
    }

    /// The clients blocked on `key`, first blocked first.
    pub fn waiters(&self, db: usize, key: &[u8]) -> Vec<u64> {
        self.keys
            .get(db)
            .and_then(|m| m.get(key))
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// signalKeyAsReady: `key` now holds a value of a type clients block on.
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if !self.keys.get(db).is_some_and(|m| m.contains_key(key)) {
            return;
        }
        let entry = (db, Key::from(key));
        if self.ready_set.insert(entry.clone()) {
            self.ready.push(entry);
        }
    }

    #[inline]
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Takes the ready keys for a serving pass; keys signalled while serving
    /// (a BLMOVE pushing to a watched key) go into the next pass.
    pub fn take_ready(&mut self) -> Vec<(usize, Key)> {
        self.ready_set.clear();
        std::mem::take(&mut self.ready)
    }

    /// The keys blocked on in `db` (scanDatabaseForReadyKeys after SWAPDB).
    pub fn keys_in(&self, db: usize) -> Vec<Key> {
        self.keys
            .get(db)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_waiters_and_single_signal_per_pass() {
        let mut b = BlockingKeys::default();
        assert!(!b.is_active());
        b.block(1, 0, b"k");
        b.block(2, 0, b"k");
        b.block(3, 1, b"k");
        assert!(b.is_active());
        assert_eq!(b.waiters(0, b"k"), vec![1, 2]);
        b.signal(0, b"other");
        assert!(!b.has_ready(), "nobody waits on it");
        b.signal(0, b"k");
        b.signal(0, b"k");
        b.signal(1, b"k");
        let ready = b.take_ready();
        assert_eq!(ready.len(), 2);
        assert_eq!(ready[0].0, 0);
        b.signal(0, b"k");
        assert!(b.has_ready(), "signalled again in the next pass");
        b.unblock(1, 0, b"k");
        b.unblock(2, 0, b"k");
        assert_eq!(b.waiters(0, b"k"), Vec::<u64>::new());
        assert!(b.keys_in(0).is_empty());
        b.unblock(3, 1, b"k");
        assert!(!b.is_active());
    }
}
