//! Hash values with Redis 7.0's two encodings: `listpack` (a short list of
//! field/value pairs kept in insertion order, so HGETALL/HKEYS answer in the
//! same order as Redis) and `hashtable` (our [`Dict`], for HSCAN's cursor
//! guarantees). A hash converts to a table when it grows past
//! hash-max-listpack-entries or receives a field or value longer than
//! hash-max-listpack-value, and never converts back (as in Redis).

use std::fmt;

use super::dict::Dict;
use super::listpack::Listpack;

pub type Field = Box<[u8]>;

/// The two conversion thresholds (hash-max-listpack-entries/-value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Limits {
    pub fn from_config(entries: i64, value: i64) -> Limits {
        Limits {
            entries: entries.max(0) as usize,
            value: value.max(0) as usize,
        }
    }
}

pub enum Hash {
    Listpack(Listpack),
    /// Boxed: a Dict is ~80 bytes, a small hash should cost only its listpack.
    Table(Box<Dict<Field, Field>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Hash {
    /// A new hash is always a listpack (createHashObject).
    pub fn new() -> Hash {
        Hash::Listpack(Listpack::new())
    }

    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len(),
            Hash::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(lp) => lp.get(field),
            Hash::Table(d) => d.get(field).map(|v| &**v),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// hashTypeTryConversion: converts before a write when any of the given
    /// strings is longer than the listpack value limit.
    pub fn try_conversion<'a>(&mut self, args: impl IntoIterator<Item = &'a [u8]>, limits: Limits) {
        if matches!(self, Hash::Listpack(_)) && args.into_iter().any(|a| a.len() > limits.value) {
            self.convert();
        }
    }

    /// hashTypeSet: inserts or updates a field; true when the field is new.
    /// A listpack converts first when the field or value is too long, and
    /// after the insert when it holds more entries than allowed.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if matches!(self, Hash::Listpack(_))
            && (field.len() > limits.value || value.len() > limits.value)
        {
            self.convert();
        }
        match self {
            Hash::Listpack(lp) if lp.len() == Listpack::MAX_PAIRS => {
                self.convert();
                self.set(field, value, limits)
            }
            Hash::Listpack(lp) => {
                let created = lp.set(field, value);
                // Checked after updates too: the limit may have been lowered.
                if lp.len() > limits.entries {
                    self.convert();
                }
                created
            }
            Hash::Table(d) => match d.get_mut(field) {
                Some(old) => {
                    *old = value.into();
                    false
                }
                None => {
                    d.insert_new(field.into(), value.into());
                    true
                }
            },
        }
    }

    /// Removes a field; true when it existed. A table shrinks when sparse
    /// (hashTypeDelete checks htNeedsResize after every delete).
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => lp.remove(field),
            Hash::Table(d) => {
                let found = d.remove(field).is_some();
                if found {
                    d.shrink_if_needed();
                }
                found
            }
        }
    }

    /// Converts a listpack to a table (hashTypeConvertListpack).
    pub fn convert(&mut self) {
        if let Hash::Listpack(lp) = self {
            let mut d = Dict::new();
            for (f, val) in lp.iter() {
                d.insert_new(f.into(), val.into());
            }
            *self = Hash::Table(Box::new(d));
        }
    }

    /// Field/value pairs: insertion order for a listpack, table order otherwise.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Listpack(lp) => Iter::Listpack(lp.iter()),
            Hash::Table(d) => Iter::Table(d.iter()),
        }
    }

    /// A random pair (dictGetFairRandomKey / lpRandomPair).
    pub fn random(&self) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Listpack(lp) => {
                if lp.is_empty() {
                    return None;
                }
                lp.iter().nth(rand::random::<usize>() % lp.len())
            }
            Hash::Table(d) => d.random().map(|(f, val)| (&**f, &**val)),
        }
    }

    pub fn heap_size(&self) -> usize {
        let pair = std::mem::size_of::<(Field, Field)>();
        match self {
            Hash::Listpack(lp) => lp.heap_size(),
            Hash::Table(d) => {
                std::mem::size_of::<Dict<Field, Field>>()
                    + d.slots() * std::mem::size_of::<usize>()
                    + d.iter()
                        .map(|(f, x)| f.len() + x.len() + pair + std::mem::size_of::<usize>())
                        .sum::<usize>()
            }
        }
    }

    /// The size in bytes the same pairs take in a Redis listpack (header,
    /// entries with their back-lengths, end byte): DEBUG OBJECT's
    /// serializedlength of a listpack hash is built from it.
    pub fn listpack_bytes(&self) -> usize {
        7 + self
            .iter()
            .map(|(f, v)| super::listpack::entry_size(f) + super::listpack::entry_size(v))
            .sum::<usize>()
    }
}

impl Clone for Hash {
    fn clone(&self) -> Self {
        match self {
            Hash::Listpack(lp) => Hash::Listpack(lp.clone()),
            Hash::Table(d) => {
                let mut n = Dict::new();
                for (f, v) in d.iter() {
                    n.insert_new(f.clone(), v.clone());
                }
                Hash::Table(Box::new(n))
            }
        }
    }
}

impl PartialEq for Hash {
    fn eq(&self, other: &Self) -> bool {
        self.encoding() == other.encoding()
            && self.len() == other.len()
            && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(k, v)| (k.escape_ascii(), v.escape_ascii())),
            )
            .finish()
    }
}

pub enum Iter<'a> {
    Listpack(super::listpack::Iter<'a>),
    Table(super::dict::Iter<'a, Field, Field>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => it.next(),
            Iter::Table(it) => it.next().map(|(f, v)| (&**f, &**v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        entries: 4,
        value: 8,
    };

    #[test]
    fn listpack_keeps_order_and_converts_past_the_entry_limit() {
        let mut h = Hash::new();
        assert!(h.set(b"b", b"1", L));
        assert!(h.set(b"a", b"2", L));
        assert!(!h.set(b"b", b"3", L));
        let order: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        assert_eq!(
            order,
            vec![
                (b"b".to_vec(), b"3".to_vec()),
                (b"a".to_vec(), b"2".to_vec())
            ]
        );
        assert!(h.set(b"c", b"", L));
        assert!(h.set(b"d", b"", L));
        assert_eq!(h.encoding(), "listpack");
        assert!(h.set(b"e", b"", L));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"b"), Some(&b"3"[..]));
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert_eq!(h.encoding(), "hashtable", "never converts back");
    }

    #[test]
    fn an_update_converts_when_the_limit_was_lowered() {
        let mut h = Hash::new();
        for f in [b"a", b"b", b"c"] {
            h.set(f, b"1", L);
        }
        let lower = Limits { entries: 2, ..L };
        assert!(!h.remove(b"x"));
        assert_eq!(h.encoding(), "listpack");
        assert!(!h.set(b"a", b"2", lower));
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn long_strings_convert() {
        let mut h = Hash::new();
        h.set(b"f", b"12345678", L);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f", b"123456789", L);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::new();
        h.try_conversion([&b"123456789"[..]], L);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.clone(), h);
    }

    #[test]
    fn listpack_size_matches_redis() {
        // DEBUG OBJECT reports 13 and 18 for these (length prefix + listpack).
        let mut h = Hash::new();
        h.set(b"a", b"1", L);
        assert_eq!(h.listpack_bytes(), 12);
        h.set(b"b", b"2", L);
        assert_eq!(h.listpack_bytes(), 17);
    }
}
