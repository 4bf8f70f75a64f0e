//! A chained hash table with incremental rehashing and Redis's reverse-binary
//! scan cursor (dict.c). We keep our own table rather than `HashMap` because SCAN
//! must guarantee that every element present for the whole iteration is returned
//! while the table grows or shrinks, and because sampling random entries (eviction,
//! RANDOMKEY) needs bucket access.
//!
//! Two tables exist only while rehashing; every mutating call moves one bucket,
//! and the server's cron moves more in bounded slices.

use std::borrow::Borrow;
use std::sync::OnceLock;

type Link<K, V> = Option<Box<Node<K, V>>>;

struct Node<K, V> {
    key: K,
    val: V,
    next: Link<K, V>,
}

struct Table<K, V> {
    buckets: Vec<Link<K, V>>,
    used: usize,
}

impl<K, V> Table<K, V> {
    fn empty() -> Self {
        Table {
            buckets: Vec::new(),
            used: 0,
        }
    }
    fn with_size(n: usize) -> Self {
        let mut buckets = Vec::with_capacity(n);
        buckets.resize_with(n, || None);
        Table { buckets, used: 0 }
    }
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }
}

const INITIAL_SIZE: usize = 4;
/// Below this fill percentage the cron shrinks a table (HASHTABLE_MIN_FILL).
const MIN_FILL_PERCENT: usize = 10;

fn hasher() -> &'static ahash::RandomState {
    static H: OnceLock<ahash::RandomState> = OnceLock::new();
    H.get_or_init(ahash::RandomState::new)
}

#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    hasher().hash_one(b)
}

pub struct Dict<K, V> {
    t: [Table<K, V>; 2],
    /// Next bucket of `t[0]` to move into `t[1]`; None when not rehashing.
    rehash_idx: Option<usize>,
}

impl<K: Borrow<[u8]>, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Borrow<[u8]>, V> Dict<K, V> {
    pub fn new() -> Self {
        Dict {
            t: [Table::empty(), Table::empty()],
            rehash_idx: None,
        }
    }

    pub fn len(&self) -> usize {
        self.t[0].used + self.t[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total bucket slots (for INFO keyspace/MEMORY stats).
    pub fn slots(&self) -> usize {
        self.t[0].buckets.len() + self.t[1].buckets.len()
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    pub fn clear(&mut self) {
        // Drop chains iteratively so a long chain cannot overflow the stack.
        for t in &mut self.t {
            for b in t.buckets.iter_mut() {
                let mut cur = b.take();
                while let Some(mut n) = cur {
                    cur = n.next.take();
                }
            }
        }
        self.t = [Table::empty(), Table::empty()];
        self.rehash_idx = None;
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.get_kv(key).map(|(_, v)| v)
    }

    pub fn get_kv(&self, key: &[u8]) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        let h = hash_bytes(key) as usize;
        for ti in 0..2 {
            let t = &self.t[ti];
            if t.buckets.is_empty() {
                continue;
            }
            let mut cur = t.buckets[h & t.mask()].as_deref();
            while let Some(n) = cur {
                if n.key.borrow() == key {
                    return Some((&n.key, &n.val));
                }
                cur = n.next.as_deref();
            }
            if self.rehash_idx.is_none() {
                break;
            }
        }
        None
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get_kv(key).is_some()
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_bytes(key) as usize;
        // While rehashing the key may be in either table; find which one first so
        // the mutable walk below borrows only that table.
        let ti = if self.rehash_idx.is_some() && !Self::chain_has(&self.t[0], h, key) {
            1
        } else {
            0
        };
        let t = &mut self.t[ti];
        if t.buckets.is_empty() {
            return None;
        }
        let mask = t.mask();
        let mut cur = t.buckets[h & mask].as_deref_mut();
        while let Some(n) = cur {
            if n.key.borrow() == key {
                return Some(&mut n.val);
            }
            cur = n.next.as_deref_mut();
        }
        None
    }

    fn chain_has(t: &Table<K, V>, h: usize, key: &[u8]) -> bool {
        if t.buckets.is_empty() {
            return false;
        }
        let mut cur = t.buckets[h & t.mask()].as_deref();
        while let Some(n) = cur {
            if n.key.borrow() == key {
                return true;
            }
            cur = n.next.as_deref();
        }
        false
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: K, val: V) -> Option<V> {
        if let Some(v) = self.get_mut(key.borrow()) {
            return Some(std::mem::replace(v, val));
        }
        self.insert_new(key, val);
        None
    }

    /// Inserts a key the caller knows is absent.
    pub fn insert_new(&mut self, key: K, val: V) {
        self.expand_if_needed();
        self.rehash_step();
        let h = hash_bytes(key.borrow()) as usize;
        let ti = if self.rehash_idx.is_some() { 1 } else { 0 };
        let t = &mut self.t[ti];
        let idx = h & t.mask();
        let next = t.buckets[idx].take();
        t.buckets[idx] = Some(Box::new(Node { key, val, next }));
        t.used += 1;
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<(K, V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_bytes(key) as usize;
        let rehashing = self.rehash_idx.is_some();
        for ti in 0..2 {
            if !rehashing && ti == 1 {
                break;
            }
            let t = &mut self.t[ti];
            if t.buckets.is_empty() {
                continue;
            }
            let idx = h & t.mask();
            let mut link = &mut t.buckets[idx];
            loop {
                match link {
                    None => break,
                    Some(n) if n.key.borrow() == key => {
                        let mut node = link.take().expect("matched Some above");
                        *link = node.next.take();
                        t.used -= 1;
                        return Some((node.key, node.val));
                    }
                    Some(n) => link = &mut n.next,
                }
            }
        }
        None
    }

    fn expand_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        if self.t[0].buckets.is_empty() {
            self.t[0] = Table::with_size(INITIAL_SIZE);
            return;
        }
        if self.t[0].used >= self.t[0].buckets.len() {
            self.resize_to(self.t[0].used + 1);
        }
    }

    /// Starts a rehash into a table of the smallest power of two >= `n`.
    fn resize_to(&mut self, n: usize) {
        let size = n.max(INITIAL_SIZE).next_power_of_two();
        if size == self.t[0].buckets.len() || self.rehash_idx.is_some() {
            return;
        }
        if self.t[0].used == 0 {
            self.t[0] = Table::with_size(size);
            return;
        }
        self.t[1] = Table::with_size(size);
        self.rehash_idx = Some(0);
    }

    /// Shrinks a sparse table (the cron calls this, like htNeedsResize + dictResize).
    pub fn shrink_if_needed(&mut self) {
        let size = self.t[0].buckets.len();
        if self.rehash_idx.is_none()
            && size > INITIAL_SIZE
            && self.t[0].used * 100 / size < MIN_FILL_PERCENT
        {
            self.resize_to(self.t[0].used);
        }
    }

    fn rehash_step(&mut self) {
        self.rehash(1);
    }

    /// Moves up to `n` buckets from the old table to the new one; returns true
    /// while rehashing is still in progress.
    pub fn rehash(&mut self, mut n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n * 10;
        while n > 0 && self.t[0].used > 0 {
            n -= 1;
            while self.t[0].buckets[idx].is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let mut cur = self.t[0].buckets[idx].take();
            let mask = self.t[1].mask();
            while let Some(mut node) = cur {
                cur = node.next.take();
                let b = hash_bytes(node.key.borrow()) as usize & mask;
                node.next = self.t[1].buckets[b].take();
                self.t[1].buckets[b] = Some(node);
                self.t[0].used -= 1;
                self.t[1].used += 1;
            }
            idx += 1;
        }
        if self.t[0].used == 0 {
            self.t[0] = std::mem::replace(&mut self.t[1], Table::empty());
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            dict: self,
            table: 0,
            bucket: 0,
            node: None,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    /// One SCAN step: calls `f` for every element of the bucket(s) under `cursor`
    /// and returns the next cursor (0 when done). Elements present during the whole
    /// scan are reported at least once, even across resizes.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&K, &V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor as usize;
        let emit = |t: &Table<K, V>, idx: usize, f: &mut dyn FnMut(&K, &V)| {
            let mut cur = t.buckets[idx].as_deref();
            while let Some(n) = cur {
                f(&n.key, &n.val);
                cur = n.next.as_deref();
            }
        };
        if self.rehash_idx.is_none() {
            let t0 = &self.t[0];
            let m0 = t0.mask();
            emit(t0, v & m0, &mut f);
            v |= !m0;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, large) = if self.t[0].buckets.len() <= self.t[1].buckets.len() {
                (&self.t[0], &self.t[1])
            } else {
                (&self.t[1], &self.t[0])
            };
            let (m0, m1) = (small.mask(), large.mask());
            emit(small, v & m0, &mut f);
            loop {
                emit(large, v & m1, &mut f);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v as u64
    }

    /// A random element: a random non-empty bucket, then a random node of its
    /// chain (dictGetRandomKey).
    pub fn random(&self) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        let mut head;
        loop {
            head = match self.rehash_idx {
                Some(ri) => {
                    let s0 = self.t[0].buckets.len();
                    let total = s0 + self.t[1].buckets.len();
                    // Buckets of t[0] below rehash_idx are empty: skip them.
                    let i = ri + rand::random::<usize>() % (total - ri);
                    if i >= s0 {
                        self.t[1].buckets[i - s0].as_deref()
                    } else {
                        self.t[0].buckets[i].as_deref()
                    }
                }
                None => {
                    let t = &self.t[0];
                    t.buckets[rand::random::<usize>() & t.mask()].as_deref()
                }
            };
            if head.is_some() {
                break;
            }
        }
        let mut len = 0;
        let mut cur = head;
        while let Some(n) = cur {
            len += 1;
            cur = n.next.as_deref();
        }
        let mut pick = rand::random::<usize>() % len;
        let mut cur = head;
        while let Some(n) = cur {
            if pick == 0 {
                return Some((&n.key, &n.val));
            }
            pick -= 1;
            cur = n.next.as_deref();
        }
        None
    }
}

impl<K, V> Drop for Dict<K, V> {
    fn drop(&mut self) {
        for t in &mut self.t {
            for b in t.buckets.iter_mut() {
                let mut cur = b.take();
                while let Some(mut n) = cur {
                    cur = n.next.take();
                }
            }
        }
    }
}

pub struct Iter<'a, K, V> {
    dict: &'a Dict<K, V>,
    table: usize,
    bucket: usize,
    node: Option<&'a Node<K, V>>,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node {
                self.node = n.next.as_deref();
                return Some((&n.key, &n.val));
            }
            let t = &self.dict.t[self.table];
            if self.bucket >= t.buckets.len() {
                if self.table == 1 {
                    return None;
                }
                self.table = 1;
                self.bucket = 0;
                continue;
            }
            self.node = t.buckets[self.bucket].as_deref();
            self.bucket += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(i: usize) -> Box<[u8]> {
        format!("key:{i}").into_bytes().into_boxed_slice()
    }

    #[test]
    fn insert_get_remove_through_rehash() {
        let mut d: Dict<Box<[u8]>, usize> = Dict::new();
        for i in 0..10_000 {
            assert!(d.insert(key(i), i).is_none());
        }
        assert_eq!(d.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        assert_eq!(d.insert(key(5), 50), Some(5));
        for i in (0..10_000).step_by(2) {
            assert_eq!(
                d.remove(&key(i)).map(|(_, v)| v),
                Some(if i == 5 { 50 } else { i })
            );
        }
        assert_eq!(d.len(), 5_000);
        assert!(d.get(&key(0)).is_none());
        assert_eq!(d.iter().count(), 5_000);
    }

    #[test]
    fn scan_returns_every_stable_key_while_the_table_grows_and_shrinks() {
        let mut d: Dict<Box<[u8]>, ()> = Dict::new();
        for i in 0..1000 {
            d.insert(key(i), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut extra = 1000;
        let mut steps = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.clone());
            });
            steps += 1;
            // Grow the table during the first part of the scan, shrink it later.
            if steps < 200 {
                for _ in 0..20 {
                    d.insert(key(extra), ());
                    extra += 1;
                }
            } else if steps < 400 {
                for _ in 0..30 {
                    if extra > 1000 {
                        extra -= 1;
                        d.remove(&key(extra));
                    }
                }
                d.shrink_if_needed();
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            assert!(seen.contains(&key(i)), "key {i} missed");
        }
    }

    #[test]
    fn random_finds_entries() {
        let mut d: Dict<Box<[u8]>, usize> = Dict::new();
        assert!(d.random().is_none());
        for i in 0..100 {
            d.insert(key(i), i);
        }
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            let (_, v) = d.random().expect("non-empty");
            seen.insert(*v);
        }
        assert!(seen.len() > 90);
    }
}
