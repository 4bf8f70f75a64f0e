//! A small list's elements in one exactly-sized buffer, walkable from both
//! ends like a Redis listpack: each entry is a LEB128 length, the bytes, and a
//! back-length (the size of the first two parts, its LEB128 groups stored in
//! reverse so it can be read from the entry's end).

use super::varint;

#[derive(Clone, Default, PartialEq)]
pub struct LPack {
    buf: Box<[u8]>,
    len: u32,
    /// The owning list's settings, kept here where they cost no space (the
    /// struct has 4 bytes of padding after `len` anyway).
    pub fill: i16,
    pub compress: bool,
}

fn varint(n: usize) -> ([u8; 10], usize) {
    varint::encode(n as u64)
}

/// The bytes of one entry.
fn encode(elem: &[u8]) -> Vec<u8> {
    let (h, hl) = varint(elem.len());
    let (b, bl) = varint(hl + elem.len());
    let mut out = Vec::with_capacity(hl + elem.len() + bl);
    out.extend_from_slice(&h[..hl]);
    out.extend_from_slice(elem);
    out.extend(b[..bl].iter().rev());
    out
}

/// Bytes an entry for `elem` takes.
pub fn entry_len(elem: &[u8]) -> usize {
    let hl = varint(elem.len()).1;
    hl + elem.len() + varint(hl + elem.len()).1
}

/// The entry starting at `pos`: (data start, data end, entry end).
#[inline]
fn forward(buf: &[u8], start: usize) -> (usize, usize, usize) {
    let (n, pos) = varint::get(buf, start);
    let data_end = pos + n as usize;
    (
        pos,
        data_end,
        data_end + varint::len((data_end - start) as u64),
    )
}

/// The start of the entry ending at `end`.
#[inline]
fn backward(buf: &[u8], end: usize) -> usize {
    let mut p = end;
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        p -= 1;
        let b = buf[p];
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    p - n
}

impl LPack {
    /// The most elements one holds; a list converts before that.
    pub const MAX_LEN: usize = u32::MAX as usize;

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Buffer size in bytes.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    fn rebuild(&mut self, parts: &[&[u8]], len: usize) {
        debug_assert!(len <= Self::MAX_LEN);
        let mut v = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
        for p in parts {
            v.extend_from_slice(p);
        }
        self.buf = v.into_boxed_slice();
        self.len = len as u32;
    }

    pub fn push_front(&mut self, elem: &[u8]) {
        let buf = std::mem::take(&mut self.buf);
        self.rebuild(&[&encode(elem), &buf], self.len() + 1);
    }

    pub fn push_back(&mut self, elem: &[u8]) {
        let mut v = Vec::from(std::mem::take(&mut self.buf));
        v.extend_from_slice(&encode(elem));
        self.buf = v.into_boxed_slice();
        self.len += 1;
    }

    /// Removes the first element and hands it to `f`.
    pub fn pop_front<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if self.is_empty() {
            return None;
        }
        let (ds, de, end) = forward(&self.buf, 0);
        let r = f(&self.buf[ds..de]);
        let buf = std::mem::take(&mut self.buf);
        self.rebuild(&[&buf[end..]], self.len() - 1);
        Some(r)
    }

    /// Removes the last element and hands it to `f`.
    pub fn pop_back<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if self.is_empty() {
            return None;
        }
        let start = backward(&self.buf, self.buf.len());
        let (ds, de, _) = forward(&self.buf, start);
        let r = f(&self.buf[ds..de]);
        let mut v = Vec::from(std::mem::take(&mut self.buf));
        v.truncate(start);
        self.buf = v.into_boxed_slice();
        self.len -= 1;
        Some(r)
    }

    /// Byte span of the entry at position `i` (< len), walking from the
    /// nearer end.
    fn span(&self, i: usize) -> (usize, usize) {
        let n = self.len();
        if i <= n / 2 {
            let mut pos = 0;
            for _ in 0..i {
                pos = forward(&self.buf, pos).2;
            }
            (pos, forward(&self.buf, pos).2)
        } else {
            let mut end = self.buf.len();
            for _ in 0..(n - 1 - i) {
                end = backward(&self.buf, end);
            }
            (backward(&self.buf, end), end)
        }
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len() {
            return None;
        }
        let (ds, de, _) = forward(&self.buf, self.span(i).0);
        Some(&self.buf[ds..de])
    }

    /// Replaces the element at position `i` (< len).
    pub fn set(&mut self, i: usize, elem: &[u8]) {
        let (s, e) = self.span(i);
        let buf = std::mem::take(&mut self.buf);
        self.rebuild(&[&buf[..s], &encode(elem), &buf[e..]], self.len());
    }

    /// Inserts so the element gets position `i` (<= len).
    pub fn insert(&mut self, i: usize, elem: &[u8]) {
        let at = if i == self.len() {
            self.buf.len()
        } else {
            self.span(i).0
        };
        let buf = std::mem::take(&mut self.buf);
        self.rebuild(&[&buf[..at], &encode(elem), &buf[at..]], self.len() + 1);
    }

    /// Keeps only positions `from..=to`.
    pub fn keep(&mut self, from: usize, to: usize) {
        let start = self.span(from).0;
        let end = self.span(to).1;
        let buf = std::mem::take(&mut self.buf);
        self.rebuild(&[&buf[start..end]], to + 1 - from);
    }

    /// Keeps the elements for which `keep(position, bytes)` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(usize, &[u8]) -> bool) {
        let mut v = Vec::with_capacity(self.buf.len());
        let mut n = 0;
        let mut pos = 0;
        let mut i = 0;
        while pos < self.buf.len() {
            let (ds, de, end) = forward(&self.buf, pos);
            if keep(i, &self.buf[ds..de]) {
                v.extend_from_slice(&self.buf[pos..end]);
                n += 1;
            }
            pos = end;
            i += 1;
        }
        self.buf = v.into_boxed_slice();
        self.len = n;
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            front: 0,
            back: self.buf.len(),
        }
    }
}

/// Elements front to back (or back to front, it is double-ended).
pub struct Iter<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.front >= self.back {
            return None;
        }
        let (ds, de, end) = forward(self.buf, self.front);
        self.front = end;
        Some(&self.buf[ds..de])
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let start = backward(self.buf, self.back);
        let (ds, de, _) = forward(self.buf, start);
        self.back = start;
        Some(&self.buf[ds..de])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(p: &LPack) -> Vec<Vec<u8>> {
        p.iter().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn both_ends_and_middle_with_long_entries() {
        let long = vec![b'x'; 300];
        let huge = vec![b'y'; 20_000];
        let mut p = LPack::default();
        p.push_back(b"b");
        p.push_front(&long);
        p.push_back(&huge);
        p.push_front(b"");
        assert_eq!(p.len(), 4);
        assert_eq!(
            p.bytes(),
            entry_len(b"") + entry_len(&long) + entry_len(b"b") + entry_len(&huge)
        );
        assert_eq!(
            items(&p),
            [b"".to_vec(), long.clone(), b"b".to_vec(), huge.clone()]
        );
        let rev: Vec<Vec<u8>> = p.iter().rev().map(<[u8]>::to_vec).collect();
        assert_eq!(rev[0], huge);
        assert_eq!(rev[3], b"");
        assert_eq!(p.get(2), Some(&b"b"[..]));
        assert_eq!(p.get(3), Some(&huge[..]));
        assert_eq!(p.get(4), None);
        p.set(1, b"short");
        p.insert(4, b"tail");
        p.insert(0, b"head");
        assert_eq!(p.get(2), Some(&b"short"[..]));
        assert_eq!(p.pop_back(<[u8]>::to_vec), Some(b"tail".to_vec()));
        assert_eq!(p.pop_front(<[u8]>::to_vec), Some(b"head".to_vec()));
        assert_eq!(p.pop_back(<[u8]>::to_vec), Some(huge));
        p.retain(|i, b| i == 0 || b != b"b");
        assert_eq!(items(&p), [b"".to_vec(), b"short".to_vec()]);
        p.keep(1, 1);
        assert_eq!(items(&p), [b"short".to_vec()]);
        assert_eq!(p.pop_front(<[u8]>::to_vec), Some(b"short".to_vec()));
        assert!(p.is_empty() && p.bytes() == 0);
        assert_eq!(p.pop_back(<[u8]>::to_vec), None);
    }

    #[test]
    fn mixed_iteration_meets_in_the_middle() {
        let mut p = LPack::default();
        for i in 0..9 {
            p.push_back(format!("{i}").as_bytes());
        }
        let mut it = p.iter();
        assert_eq!(it.next(), Some(&b"0"[..]));
        assert_eq!(it.next_back(), Some(&b"8"[..]));
        assert_eq!(it.count(), 7);
        for i in 0..9 {
            assert_eq!(p.get(i), Some(format!("{i}").as_bytes()));
        }
    }
}
