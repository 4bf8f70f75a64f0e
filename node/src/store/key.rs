//! Keys as stored in the keyspace: up to 22 bytes live inside the hash-table
//! node itself (most keys are short), longer ones on the heap. A lookup then
//! compares against bytes already in the node's cache lines instead of chasing
//! one more pointer, and a short key costs no allocation of its own.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

pub const KEY_INLINE_MAX: usize = 22;

#[derive(Clone)]
pub enum Key {
    Inline { len: u8, buf: [u8; KEY_INLINE_MAX] },
    Heap(Box<[u8]>),
}

impl Key {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => &buf[..*len as usize],
            Key::Heap(b) => b,
        }
    }
}

impl Deref for Key {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Key {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl From<&[u8]> for Key {
    fn from(b: &[u8]) -> Self {
        if b.len() <= KEY_INLINE_MAX {
            let mut buf = [0u8; KEY_INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            Key::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            Key::Heap(b.into())
        }
    }
}

impl From<Vec<u8>> for Key {
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= KEY_INLINE_MAX {
            Key::from(v.as_slice())
        } else {
            Key::Heap(v.into_boxed_slice())
        }
    }
}

impl From<Box<[u8]>> for Key {
    fn from(b: Box<[u8]>) -> Self {
        Key::from(b.into_vec())
    }
}

impl<const N: usize> From<[u8; N]> for Key {
    fn from(a: [u8; N]) -> Self {
        Key::from(&a[..])
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_bytes().escape_ascii().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_keys_behave_as_bytes() {
        let short = Key::from(&b"user:1"[..]);
        assert!(matches!(short, Key::Inline { len: 6, .. }));
        let long = Key::from(vec![b'k'; 23]);
        assert!(matches!(long, Key::Heap(_)));
        assert_eq!(&*short, b"user:1");
        assert_eq!(long.len(), 23);
        assert_eq!(Key::from(*b"user:1"), short);
        assert_eq!(std::mem::size_of::<Key>(), 24);
    }
}
