//! Stored values. Strings keep Redis's three encodings because OBJECT ENCODING
//! reports them and clients look at it: `int` (a canonical 64-bit integer of at
//! most 20 characters), `embstr` (up to 44 bytes, written whole) and `raw`
//! (larger, or modified in place by APPEND/SETRANGE/SETBIT).

use std::borrow::Cow;

/// Strings up to this length are created as embstr (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_MAX: usize = 44;

/// Embstr strings up to this length live inside the value itself: the enum is 32
/// bytes anyway (a `Vec` plus its tag), so a short string costs no allocation
/// and no extra cache miss when read.
pub const INLINE_MAX: usize = 30;

#[derive(Debug, Clone, PartialEq)]
pub enum Str {
    Int(i64),
    /// An embstr short enough to be stored inline (`INLINE_MAX`).
    Small {
        len: u8,
        buf: [u8; INLINE_MAX],
    },
    Emb(Box<[u8]>),
    Raw(Vec<u8>),
}

impl Str {
    /// A string as SET stores it: integers become `int`, short strings `embstr`.
    pub fn from_bytes(b: &[u8]) -> Str {
        if b.len() <= 20 {
            if let Some(n) = crate::util::string2ll(b) {
                return Str::Int(n);
            }
        }
        Str::plain(b)
    }

    /// A string as createStringObject makes it: embstr up to 44 bytes, else raw,
    /// never the integer encoding.
    pub fn plain(b: &[u8]) -> Str {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            Str::Small {
                len: b.len() as u8,
                buf,
            }
        } else if b.len() <= EMBSTR_MAX {
            Str::Emb(b.into())
        } else {
            Str::Raw(b.to_vec())
        }
    }

    /// Like [`Str::plain`], taking ownership of a buffer (raw strings keep it).
    pub fn plain_vec(v: Vec<u8>) -> Str {
        if v.len() <= EMBSTR_MAX {
            Str::plain(&v)
        } else {
            Str::Raw(v)
        }
    }

    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Str::Int(n) => Cow::Owned(itoa::Buffer::new().format(*n).as_bytes().to_vec()),
            Str::Small { len, buf } => Cow::Borrowed(&buf[..*len as usize]),
            Str::Emb(b) => Cow::Borrowed(b),
            Str::Raw(v) => Cow::Borrowed(v),
        }
    }

    /// Writes the bytes to `f` without allocating for the integer case.
    #[inline]
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Str::Int(n) => f(itoa::Buffer::new().format(*n).as_bytes()),
            Str::Small { len, buf } => f(&buf[..*len as usize]),
            Str::Emb(b) => f(b),
            Str::Raw(v) => f(v),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Str::Int(n) => itoa::Buffer::new().format(*n).len(),
            Str::Small { len, .. } => *len as usize,
            Str::Emb(b) => b.len(),
            Str::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Converts to the raw encoding for in-place modification (dbUnshareStringValue).
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Raw(_)) {
            let v = self.as_bytes().into_owned();
            *self = Str::Raw(v);
        }
        match self {
            Str::Raw(v) => v,
            _ => unreachable!("converted to Raw just above"),
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Str::Int(n) => Some(*n),
            Str::Small { len, buf } => crate::util::string2ll(&buf[..*len as usize]),
            Str::Emb(b) => crate::util::string2ll(b),
            Str::Raw(v) => crate::util::string2ll(v),
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Str::Int(_) => "int",
            Str::Small { .. } | Str::Emb(_) => "embstr",
            Str::Raw(_) => "raw",
        }
    }

    /// Heap bytes this value owns (for MEMORY USAGE and eviction estimates).
    pub fn heap_size(&self) -> usize {
        match self {
            Str::Int(_) | Str::Small { .. } => 0,
            Str::Emb(b) => b.len(),
            Str::Raw(v) => v.capacity(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(Str),
    /// Inline: a small list is one packed allocation, as in Redis.
    List(super::list::List),
    /// Inline: a small hash is one listpack allocation, as in Redis.
    Hash(super::hash::Hash),
    Set(Box<super::set::Set>),
    /// Inline: a small sorted set is one listpack allocation, as in Redis.
    ZSet(super::zset::ZSet),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
            Value::List(l) => l.heap_size(),
            Value::Hash(h) => h.heap_size(),
            Value::Set(s) => std::mem::size_of::<super::set::Set>() + s.heap_size(),
            Value::ZSet(z) => z.heap_size(),
        }
    }
}

/// A value with its access clock (LRU seconds, or LFU counter and decay time),
/// the 24 bits Redis keeps in every robj.
#[derive(Debug, Clone)]
pub struct Obj {
    pub val: Value,
    pub lru: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_thresholds() {
        assert_eq!(Str::from_bytes(b"12345").encoding(), "int");
        assert_eq!(Str::from_bytes(b"-9223372036854775808").encoding(), "int");
        assert_eq!(Str::from_bytes(b"012").encoding(), "embstr");
        assert_eq!(Str::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Str::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut s = Str::from_bytes(b"7");
        s.make_raw().push(b'1');
        assert_eq!(s, Str::Raw(b"71".to_vec()));
        assert_eq!(Str::from_bytes(b"short").as_bytes().as_ref(), b"short");
        assert!(matches!(
            Str::from_bytes(&[b'a'; 30]),
            Str::Small { len: 30, .. }
        ));
        assert!(matches!(Str::from_bytes(&[b'a'; 31]), Str::Emb(_)));
        assert_eq!(
            std::mem::size_of::<Str>(),
            32,
            "the inline variant must not grow values"
        );
        assert_eq!(
            std::mem::size_of::<Value>(),
            32,
            "aggregates are boxed or thin so a small string key's node stays small"
        );
        assert_eq!(s.as_int(), Some(71));
    }
}
