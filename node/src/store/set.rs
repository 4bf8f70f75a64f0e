//! The set value with Redis 7.0's two encodings: `intset` (every member a
//! canonical 64-bit integer, at most set-max-intset-entries of them, kept
//! sorted ascending so iteration order matches Redis) and `hashtable` (our
//! [`Dict`], for SSCAN's cursor guarantee and random sampling). 7.0 has no
//! listpack sets. A set converts to a hash table when a non-integer member is
//! added or the intset grows past the limit, and never back.

use std::fmt;

use super::dict::Dict;
use super::key::Key;
use crate::util::string2ll;

/// Sorted integers, with the element width Redis's intset would use (2, 4 or 8
/// bytes: it grows to fit the widest value ever added and never shrinks), which
/// DEBUG OBJECT's serialized length and MEMORY USAGE reflect.
#[derive(Clone, Default, PartialEq)]
pub struct Intset {
    vals: Vec<i64>,
    width: u8,
}

fn width_of(v: i64) -> u8 {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

impl Intset {
    pub fn new() -> Self {
        Intset {
            vals: Vec::new(),
            width: 2,
        }
    }

    pub fn len(&self) -> usize {
        self.vals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vals.is_empty()
    }

    pub fn contains(&self, v: i64) -> bool {
        self.vals.binary_search(&v).is_ok()
    }

    /// Adds `v`; false when already present.
    pub fn add(&mut self, v: i64) -> bool {
        match self.vals.binary_search(&v) {
            Ok(_) => false,
            Err(i) => {
                self.vals.insert(i, v);
                self.width = self.width.max(width_of(v));
                true
            }
        }
    }

    pub fn remove(&mut self, v: i64) -> bool {
        match self.vals.binary_search(&v) {
            Ok(i) => {
                self.vals.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub fn values(&self) -> &[i64] {
        &self.vals
    }

    /// The element width in bytes (2, 4 or 8), as the intset blob records it.
    pub fn width(&self) -> u8 {
        self.width
    }

    /// An intset from strictly ascending values and the width they were
    /// stored with (RDB load); the width grows if a value needs more.
    pub fn from_sorted(vals: Vec<i64>, width: u8) -> Intset {
        let need = vals.iter().map(|v| width_of(*v)).max().unwrap_or(2);
        Intset {
            vals,
            width: width.max(need),
        }
    }

    /// Bytes of the intset blob (header + elements), as RDB saves it.
    pub fn blob_len(&self) -> usize {
        8 + self.vals.len() * self.width as usize
    }
}

/// One member as iteration yields it: intsets hold integers, hash tables bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// Calls `f` with the member's bytes, formatting integers on the stack.
    #[inline]
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Int(n) => f(itoa::Buffer::new().format(*n).as_bytes()),
            Member::Bytes(b) => f(b),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }
}

pub enum Set {
    Intset(Intset),
    Hash(Dict<Key, ()>),
}

impl Set {
    /// An empty set able to hold `first` (setTypeCreate): an intset when it is
    /// an integer, else a hash table.
    pub fn for_member(first: &[u8]) -> Set {
        if string2ll(first).is_some() {
            Set::Intset(Intset::new())
        } else {
            Set::Hash(Dict::new())
        }
    }

    /// An empty intset (the start of every SINTERSTORE/SUNIONSTORE result).
    pub fn new_intset() -> Set {
        Set::Intset(Intset::new())
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Intset(i) => i.len(),
            Set::Hash(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Hash(_) => "hashtable",
        }
    }

    /// setTypeAdd: adds a member, converting to a hash table for a non-integer
    /// or when the intset grows past `max_intset`. False when already present.
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        match self {
            Set::Hash(d) => {
                if d.contains_key(m) {
                    return false;
                }
                d.insert_new(Key::from(m), ());
                true
            }
            Set::Intset(is) => match string2ll(m) {
                Some(v) => {
                    if !is.add(v) {
                        return false;
                    }
                    if is.len() > max_intset {
                        self.convert_to_hash();
                    }
                    true
                }
                None => {
                    self.convert_to_hash();
                    if let Set::Hash(d) = self {
                        d.insert_new(Key::from(m), ());
                    }
                    true
                }
            },
        }
    }

    /// Adds a member yielded by another set's iteration.
    pub fn add_member(&mut self, m: Member<'_>, max_intset: usize) -> bool {
        match (&mut *self, m) {
            (Set::Intset(is), Member::Int(v)) => {
                if !is.add(v) {
                    return false;
                }
                if is.len() > max_intset {
                    self.convert_to_hash();
                }
                true
            }
            _ => m.with_bytes(|b| self.add(b, max_intset)),
        }
    }

    pub fn convert_to_hash(&mut self) {
        if let Set::Intset(is) = self {
            let mut d = Dict::new();
            let mut buf = itoa::Buffer::new();
            for &v in is.values() {
                d.insert_new(Key::from(buf.format(v).as_bytes()), ());
            }
            *self = Set::Hash(d);
        }
    }

    /// setTypeRemove; a hash table shrinks when it becomes sparse.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Intset(is) => string2ll(m).is_some_and(|v| is.remove(v)),
            Set::Hash(d) => {
                if d.remove(m).is_some() {
                    d.shrink_if_needed();
                    true
                } else {
                    false
                }
            }
        }
    }

    pub fn remove_member(&mut self, m: Member<'_>) -> bool {
        match (&mut *self, m) {
            (Set::Intset(is), Member::Int(v)) => is.remove(v),
            _ => m.with_bytes(|b| self.remove(b)),
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Intset(is) => string2ll(m).is_some_and(|v| is.contains(v)),
            Set::Hash(d) => d.contains_key(m),
        }
    }

    pub fn contains_member(&self, m: Member<'_>) -> bool {
        match (self, m) {
            (Set::Intset(is), Member::Int(v)) => is.contains(v),
            _ => m.with_bytes(|b| self.contains(b)),
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Intset(is) => Iter::Ints(is.values().iter()),
            Set::Hash(d) => Iter::Hash(d.iter()),
        }
    }

    /// A random member (intsetRandom / dictGetRandomKey).
    pub fn random(&self) -> Option<Member<'_>> {
        match self {
            Set::Intset(is) => {
                let v = is.values();
                if v.is_empty() {
                    None
                } else {
                    Some(Member::Int(v[rand::random::<usize>() % v.len()]))
                }
            }
            Set::Hash(d) => d.random().map(|(k, _)| Member::Bytes(k.as_bytes())),
        }
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self) -> Option<Vec<u8>> {
        let m = self.random()?.to_vec();
        self.remove(&m);
        Some(m)
    }

    /// Bytes owned outside the enum (MEMORY USAGE estimate).
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Intset(is) => is.vals.capacity() * 8,
            Set::Hash(d) => {
                let node = std::mem::size_of::<Key>() + std::mem::size_of::<usize>();
                let long: usize = d
                    .keys()
                    .map(|k| match k {
                        Key::Heap(b) => b.len(),
                        Key::Inline { .. } => 0,
                    })
                    .sum();
                d.slots() * std::mem::size_of::<usize>() + d.len() * node + long
            }
        }
    }

    /// The RDB payload size (rdbSavedObjectLen) without LZF compression: an
    /// intset is one string blob, a hash table a count and each member.
    pub fn serialized_len(&self, string_len: impl Fn(&[u8]) -> usize) -> usize {
        match self {
            Set::Intset(is) => rdb_len_size(is.blob_len()) + is.blob_len(),
            Set::Hash(d) => rdb_len_size(d.len()) + d.keys().map(|k| string_len(k)).sum::<usize>(),
        }
    }
}

/// Bytes of an RDB length prefix (rdbSaveLen).
pub fn rdb_len_size(n: usize) -> usize {
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

pub enum Iter<'a> {
    Ints(std::slice::Iter<'a, i64>),
    Hash(super::dict::Iter<'a, Key, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;
    #[inline]
    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Ints(it) => it.next().map(|&v| Member::Int(v)),
            Iter::Hash(it) => it.next().map(|(k, _)| Member::Bytes(k.as_bytes())),
        }
    }
}

impl Clone for Set {
    fn clone(&self) -> Self {
        match self {
            Set::Intset(is) => Set::Intset(is.clone()),
            Set::Hash(d) => {
                let mut n = Dict::new();
                for (k, _) in d.iter() {
                    n.insert_new(k.clone(), ());
                }
                Set::Hash(n)
            }
        }
    }
}

impl PartialEq for Set {
    fn eq(&self, other: &Self) -> bool {
        self.encoding() == other.encoding()
            && self.len() == other.len()
            && self.iter().all(|m| other.contains_member(m))
    }
}

impl fmt::Debug for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.encoding())?;
        f.debug_set()
            .entries(
                self.iter()
                    .map(|m| m.with_bytes(|b| b.escape_ascii().to_string())),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &Set) -> Vec<Vec<u8>> {
        s.iter().map(|m| m.to_vec()).collect()
    }

    #[test]
    fn intset_stays_sorted_and_converts_like_redis() {
        let mut s = Set::for_member(b"3");
        assert_eq!(s.encoding(), "intset");
        for m in [&b"3"[..], b"-1", b"2"] {
            assert!(s.add(m, 4));
        }
        assert!(!s.add(b"2", 4));
        assert_eq!(
            members(&s),
            vec![b"-1".to_vec(), b"2".to_vec(), b"3".to_vec()]
        );
        assert!(s.contains(b"-1") && !s.contains(b"01") && !s.contains(b"x"));
        assert!(s.add(b"4", 4));
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"5", 4), "the fifth member passes the limit");
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"5") && s.contains(b"-1"));
        assert!(s.remove(b"5") && s.remove(b"4"));
        assert_eq!(s.encoding(), "hashtable", "never converts back");

        let mut t = Set::for_member(b"1");
        t.add(b"1", 512);
        t.add(b"01", 512);
        assert_eq!(t.encoding(), "hashtable", "01 is not a canonical integer");
        assert_eq!(Set::for_member(b"a").encoding(), "hashtable");
    }

    #[test]
    fn intset_width_only_grows() {
        let mut is = Intset::new();
        is.add(1);
        assert_eq!(is.blob_len(), 10);
        is.add(70_000);
        assert_eq!(is.blob_len(), 16);
        is.remove(70_000);
        assert_eq!(is.blob_len(), 12);
        is.add(i64::MIN);
        assert_eq!(is.blob_len(), 24);
    }

    #[test]
    fn clone_eq_random_pop() {
        let mut s = Set::for_member(b"a");
        for i in 0..100 {
            s.add(format!("m{i}").as_bytes(), 512);
        }
        let c = s.clone();
        assert_eq!(c, s);
        let mut n = 0;
        while let Some(m) = s.pop_random() {
            assert!(c.contains(&m));
            n += 1;
        }
        assert_eq!(n, 100);
        assert!(s.is_empty() && s.random().is_none());
    }
}
