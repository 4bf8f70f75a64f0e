//! A compact list of field/value pairs for small hashes: one buffer holding
//! every string as a varint length followed by its bytes, in insertion order
//! (like Redis's listpack, without its integer encodings). Lookups walk the
//! buffer, which is what Redis does too and is fast at the sizes the
//! hash-max-listpack-* settings allow; a pair costs no allocation of its own.

use super::varint;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    /// Exactly as long as its contents (every write reallocates, as a
    /// listpack does): no spare capacity, and 8 bytes smaller than a `Vec`.
    buf: Box<[u8]>,
    pairs: u32,
}

fn len_header(n: usize) -> ([u8; 10], usize) {
    varint::encode(n as u64)
}

fn put_len(buf: &mut Vec<u8>, n: usize) {
    varint::put(buf, n as u64);
}

/// The entry at `pos`: (data start, data end).
#[inline]
fn entry(buf: &[u8], pos: usize) -> (usize, usize) {
    let (n, pos) = varint::get(buf, pos);
    (pos, pos + n as usize)
}

/// Where a pair sits: its start, the start of its value entry, its end.
struct Slot {
    start: usize,
    value: usize,
    end: usize,
}

impl Listpack {
    /// The most pairs one holds; a hash converts to a table before that.
    pub const MAX_PAIRS: usize = u32::MAX as usize;

    pub fn new() -> Self {
        Self::default()
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs as usize
    }

    /// Edits the buffer as a `Vec` and stores it back without spare capacity.
    fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut v = Vec::from(std::mem::take(&mut self.buf));
        let r = f(&mut v);
        self.buf = v.into_boxed_slice();
        r
    }

    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    fn find(&self, field: &[u8]) -> Option<Slot> {
        let buf = &self.buf;
        let mut pos = 0;
        while pos < buf.len() {
            let (fs, fe) = entry(buf, pos);
            let (_, ve) = entry(buf, fe);
            if &buf[fs..fe] == field {
                return Some(Slot {
                    start: pos,
                    value: fe,
                    end: ve,
                });
            }
            pos = ve;
        }
        None
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.find(field).map(|s| {
            let (vs, ve) = entry(&self.buf, s.value);
            &self.buf[vs..ve]
        })
    }

    /// Inserts at the tail or replaces the value in place; true when new.
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.find(field) {
            Some(s) => {
                let (h, hl) = len_header(value.len());
                self.edit(|buf| {
                    buf.splice(
                        s.value..s.end,
                        h[..hl].iter().copied().chain(value.iter().copied()),
                    );
                });
                false
            }
            None => {
                assert!(self.len() < Self::MAX_PAIRS, "listpack full");
                // Exact growth, like a listpack realloc: small hashes stay small.
                let headers = len_header(field.len()).1 + len_header(value.len()).1;
                self.edit(|buf| {
                    buf.reserve_exact(field.len() + value.len() + headers);
                    put_len(buf, field.len());
                    buf.extend_from_slice(field);
                    put_len(buf, value.len());
                    buf.extend_from_slice(value);
                });
                self.pairs += 1;
                true
            }
        }
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self.find(field) {
            Some(s) => {
                self.edit(|buf| buf.drain(s.start..s.end).for_each(drop));
                self.pairs -= 1;
                true
            }
            None => false,
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: 0,
        }
    }

    pub fn heap_size(&self) -> usize {
        self.buf.len()
    }
}

pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (fs, fe) = entry(self.buf, self.pos);
        let (vs, ve) = entry(self.buf, fe);
        self.pos = ve;
        Some((&self.buf[fs..fe], &self.buf[vs..ve]))
    }
}

/// Bytes one element takes in a Redis listpack (encoding, data, back-length):
/// DEBUG OBJECT and memory estimates of listpack-encoded values use it.
pub fn entry_size(b: &[u8]) -> usize {
    let enc = match (b.len() <= 20).then(|| crate::util::string2ll(b)).flatten() {
        Some(v) if (0..=127).contains(&v) => 1,
        Some(v) if (-4096..=4095).contains(&v) => 2,
        Some(v) if (i16::MIN as i64..=i16::MAX as i64).contains(&v) => 3,
        Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => 4,
        Some(v) if (i32::MIN as i64..=i32::MAX as i64).contains(&v) => 5,
        Some(_) => 9,
        None if b.len() < 64 => 1 + b.len(),
        None if b.len() < 4096 => 2 + b.len(),
        None => 5 + b.len(),
    };
    enc + lp_backlen_size(enc)
}

/// lpEncodeBacklen's size.
fn lp_backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2097151 {
        3
    } else if l < 268435455 {
        4
    } else {
        5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_replace_remove_keep_order() {
        let mut lp = Listpack::new();
        let long = vec![b'x'; 300];
        assert!(lp.set(b"a", b"1"));
        assert!(lp.set(b"", b""));
        assert!(lp.set(b"b", &long));
        assert!(!lp.set(b"a", &long));
        assert_eq!(lp.len(), 3);
        assert_eq!(lp.get(b"a"), Some(&long[..]));
        assert_eq!(lp.get(b""), Some(&b""[..]));
        assert_eq!(lp.get(b"c"), None);
        assert!(!lp.set(b"b", b"2"));
        let order: Vec<_> = lp.iter().map(|(f, v)| (f.to_vec(), v.len())).collect();
        assert_eq!(
            order,
            vec![(b"a".to_vec(), 300), (b"".to_vec(), 0), (b"b".to_vec(), 1)]
        );
        assert!(lp.remove(b""));
        assert!(!lp.remove(b""));
        assert_eq!(lp.len(), 2);
        assert_eq!(lp.get(b"b"), Some(&b"2"[..]));
        assert!(lp.remove(b"a"));
        assert!(lp.remove(b"b"));
        assert!(lp.is_empty());
        assert_eq!(lp.iter().count(), 0);
    }

    #[test]
    fn entry_sizes_follow_redis_encodings() {
        assert_eq!(entry_size(b"7"), 2, "7-bit uint + 1-byte back-length");
        assert_eq!(entry_size(b"-1"), 3, "13-bit int");
        assert_eq!(
            entry_size(b"abc"),
            5,
            "6-bit string: header + 3 + back-length"
        );
        assert_eq!(
            entry_size(&[b'x'; 100]),
            103,
            "12-bit string: 2-byte header + 100, 1-byte back-length"
        );
        // lpEncodeBacklen: 16382 bytes still take 2 back-length bytes, 16383 take 3.
        assert_eq!(entry_size(&vec![b'x'; 16377]), 16382 + 2);
        assert_eq!(entry_size(&vec![b'x'; 16378]), 16383 + 3);
    }
}
