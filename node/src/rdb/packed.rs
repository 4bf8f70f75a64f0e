//! The compact blobs inside RDB values, in Redis's own byte layouts: listpack
//! (written and read), intset (written and read), and the older ziplist and
//! zipmap (read only: 7.0 never writes them, but RDBs from older servers
//! carry them). Readers check every length against the blob and return None
//! on anything malformed.

use crate::util::string2ll;

/// One listpack or ziplist element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Elem<'_> {
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Int(n) => f(itoa::Buffer::new().format(*n).as_bytes()),
            Elem::Str(s) => f(s),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }
}

const LP_HDR: usize = 6;

/// Builds a listpack by appending elements (lpAppend semantics: strings that
/// are canonical integers are stored as integers).
pub struct LpWriter {
    buf: Vec<u8>,
    count: usize,
}

impl Default for LpWriter {
    fn default() -> Self {
        LpWriter::new()
    }
}

impl LpWriter {
    pub fn new() -> LpWriter {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; LP_HDR]);
        LpWriter { buf, count: 0 }
    }

    pub fn push(&mut self, s: &[u8]) {
        match (s.len() <= 20).then(|| string2ll(s)).flatten() {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = &mut self.buf;
        if (0..=127).contains(&v) {
            b.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = if v < 0 { (1 << 13) + v } else { v } as u16;
            b.push(0xC0 | (u >> 8) as u8);
            b.push(u as u8);
        } else if i16::try_from(v).is_ok() {
            b.push(0xF1);
            b.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            b.push(0xF2);
            b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if i32::try_from(v).is_ok() {
            b.push(0xF3);
            b.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            b.push(0xF4);
            b.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let b = &mut self.buf;
        let n = s.len();
        if n < 64 {
            b.push(0x80 | n as u8);
        } else if n < 4096 {
            b.push(0xE0 | (n >> 8) as u8);
            b.push(n as u8);
        } else {
            b.push(0xF0);
            b.extend_from_slice(&(n as u32).to_le_bytes());
        }
        b.extend_from_slice(s);
        self.finish_entry(start);
    }

    /// Appends the back-length of the entry that started at `start`.
    fn finish_entry(&mut self, start: usize) {
        let l = self.buf.len() - start;
        let b = &mut self.buf;
        if l <= 127 {
            b.push(l as u8);
        } else if l < 16383 {
            b.extend_from_slice(&[(l >> 7) as u8, (l & 127) as u8 | 128]);
        } else if l < 2097151 {
            b.extend_from_slice(&[
                (l >> 14) as u8,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]);
        } else if l < 268435455 {
            b.extend_from_slice(&[
                (l >> 21) as u8,
                ((l >> 14) & 127) as u8 | 128,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]);
        } else {
            b.extend_from_slice(&[
                (l >> 28) as u8,
                ((l >> 21) & 127) as u8 | 128,
                ((l >> 14) & 127) as u8 | 128,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]);
        }
        self.count += 1;
    }

    /// Bytes the listpack has now, terminator included.
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    pub fn count(&self) -> usize {
        self.count
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(0xFF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let n = self.count.min(65535) as u16;
        self.buf[4..6].copy_from_slice(&n.to_le_bytes());
        self.buf
    }
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn le(b: &[u8]) -> i64 {
    let mut v = 0u64;
    for (i, x) in b.iter().enumerate() {
        v |= (*x as u64) << (8 * i);
    }
    // Sign-extend from the width read.
    let bits = 8 * b.len() as u32;
    if bits < 64 {
        let shift = 64 - bits;
        ((v << shift) as i64) >> shift
    } else {
        v as i64
    }
}

/// Every element of a listpack, validated (lpValidateIntegrity).
pub fn listpack_elems(lp: &[u8]) -> Option<Vec<Elem<'_>>> {
    if lp.len() < LP_HDR + 1 {
        return None;
    }
    let total = u32::from_le_bytes(lp[0..4].try_into().ok()?) as usize;
    let count = u16::from_le_bytes(lp[4..6].try_into().ok()?) as usize;
    if total != lp.len() || lp[total - 1] != 0xFF {
        return None;
    }
    let end = total - 1;
    let mut out = Vec::with_capacity(count.min(end));
    let mut p = LP_HDR;
    while p < end {
        let b = lp[p];
        let (elem, hdr_data) = if b & 0x80 == 0 {
            (Elem::Int((b & 0x7f) as i64), 1)
        } else if b & 0xC0 == 0x80 {
            let n = (b & 0x3f) as usize;
            (Elem::Str(lp.get(p + 1..p + 1 + n)?), 1 + n)
        } else if b & 0xE0 == 0xC0 {
            let lo = *lp.get(p + 1)? as i64;
            let u = (((b & 0x1f) as i64) << 8) | lo;
            (Elem::Int(if u >= 4096 { u - 8192 } else { u }), 2)
        } else if b & 0xF0 == 0xE0 {
            let n = (((b & 0x0f) as usize) << 8) | *lp.get(p + 1)? as usize;
            (Elem::Str(lp.get(p + 2..p + 2 + n)?), 2 + n)
        } else {
            match b {
                0xF0 => {
                    let n = u32::from_le_bytes(lp.get(p + 1..p + 5)?.try_into().ok()?) as usize;
                    let s = lp.get(p + 5..p.checked_add(5 + n)?)?;
                    (Elem::Str(s), 5 + n)
                }
                0xF1 => (Elem::Int(le(lp.get(p + 1..p + 3)?)), 3),
                0xF2 => (Elem::Int(le(lp.get(p + 1..p + 4)?)), 4),
                0xF3 => (Elem::Int(le(lp.get(p + 1..p + 5)?)), 5),
                0xF4 => (Elem::Int(le(lp.get(p + 1..p + 9)?)), 9),
                _ => return None,
            }
        };
        p = p.checked_add(hdr_data + backlen_size(hdr_data))?;
        if p > end {
            return None;
        }
        out.push(elem);
    }
    if count != 65535 && count != out.len() {
        return None;
    }
    Some(out)
}

/// An intset blob: `u32 width`, `u32 count`, sorted little-endian integers.
pub fn intset_blob(vals: &[i64], width: u8) -> Vec<u8> {
    let w = width as usize;
    let mut out = Vec::with_capacity(8 + vals.len() * w);
    out.extend_from_slice(&(w as u32).to_le_bytes());
    out.extend_from_slice(&(vals.len() as u32).to_le_bytes());
    for v in vals {
        out.extend_from_slice(&v.to_le_bytes()[..w]);
    }
    out
}

/// The integers of an intset blob and its width; None unless well formed
/// and strictly ascending.
pub fn intset_values(b: &[u8]) -> Option<(Vec<i64>, u8)> {
    let w = u32::from_le_bytes(b.get(0..4)?.try_into().ok()?) as usize;
    let n = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?) as usize;
    if !matches!(w, 2 | 4 | 8) || b.len() != 8 + n.checked_mul(w)? {
        return None;
    }
    let vals: Vec<i64> = b[8..].chunks_exact(w).map(le).collect();
    if vals.windows(2).any(|p| p[0] >= p[1]) {
        return None;
    }
    Some((vals, w as u8))
}

/// Every element of a ziplist (Redis <= 6.2), validated.
pub fn ziplist_elems(zl: &[u8]) -> Option<Vec<Elem<'_>>> {
    if zl.len() < 11 {
        return None;
    }
    let total = u32::from_le_bytes(zl[0..4].try_into().ok()?) as usize;
    let count = u16::from_le_bytes(zl[8..10].try_into().ok()?) as usize;
    if total != zl.len() || zl[total - 1] != 0xFF {
        return None;
    }
    let end = total - 1;
    let mut out = Vec::new();
    let mut p = 10;
    while p < end {
        // prevlen
        p += if zl[p] < 254 { 1 } else { 5 };
        let b = *zl.get(p)?;
        let (elem, size) = match b >> 6 {
            0 => {
                let n = (b & 0x3f) as usize;
                (Elem::Str(zl.get(p + 1..p + 1 + n)?), 1 + n)
            }
            1 => {
                let n = (((b & 0x3f) as usize) << 8) | *zl.get(p + 1)? as usize;
                (Elem::Str(zl.get(p + 2..p + 2 + n)?), 2 + n)
            }
            2 => {
                let n = u32::from_be_bytes(zl.get(p + 1..p + 5)?.try_into().ok()?) as usize;
                (Elem::Str(zl.get(p + 5..p.checked_add(5 + n)?)?), 5 + n)
            }
            _ => match b {
                0xC0 => (Elem::Int(le(zl.get(p + 1..p + 3)?)), 3),
                0xD0 => (Elem::Int(le(zl.get(p + 1..p + 5)?)), 5),
                0xE0 => (Elem::Int(le(zl.get(p + 1..p + 9)?)), 9),
                0xF0 => (Elem::Int(le(zl.get(p + 1..p + 4)?)), 4),
                0xFE => (Elem::Int(le(zl.get(p + 1..p + 2)?)), 2),
                0xF1..=0xFD => (Elem::Int((b & 0x0f) as i64 - 1), 1),
                _ => return None,
            },
        };
        p += size;
        if p > end {
            return None;
        }
        out.push(elem);
    }
    if count != 65535 && count != out.len() {
        return None;
    }
    Some(out)
}

/// The field/value pairs of a zipmap (Redis <= 2.4 small hashes).
pub fn zipmap_pairs(zm: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut p = 1; // zmlen
    let mut out = Vec::new();
    let len_at = |p: usize| -> Option<(usize, usize)> {
        let b = *zm.get(p)?;
        match b {
            0..=253 => Some((b as usize, 1)),
            254 => Some((
                u32::from_le_bytes(zm.get(p + 1..p + 5)?.try_into().ok()?) as usize,
                5,
            )),
            _ => None,
        }
    };
    loop {
        if *zm.get(p)? == 255 {
            return (p + 1 == zm.len()).then_some(out);
        }
        let (klen, h) = len_at(p)?;
        p += h;
        let key = zm.get(p..p.checked_add(klen)?)?;
        p += klen;
        let (vlen, h) = len_at(p)?;
        p += h;
        let free = *zm.get(p)? as usize;
        p += 1;
        let val = zm.get(p..p.checked_add(vlen)?)?;
        p += vlen + free;
        out.push((key, val));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_bytes_match_redis() {
        // From a real 7.0.15 dump: the list ["a", "b", 1].
        let mut w = LpWriter::new();
        w.push(b"a");
        w.push(b"b");
        w.push(b"1");
        let lp = w.finish();
        assert_eq!(
            lp,
            [0x0f, 0, 0, 0, 3, 0, 0x81, b'a', 2, 0x81, b'b', 2, 1, 1, 0xff]
        );
        assert_eq!(
            listpack_elems(&lp).unwrap(),
            vec![Elem::Str(b"a"), Elem::Str(b"b"), Elem::Int(1)]
        );
    }

    #[test]
    fn listpack_round_trip_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let items: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-4096".to_vec(),
            b"4095".to_vec(),
            b"-32768".to_vec(),
            b"8388607".to_vec(),
            b"-8388609".to_vec(),
            b"2147483647".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"007".to_vec(),
            b"".to_vec(),
            mid.clone(),
            long.clone(),
        ];
        let mut w = LpWriter::new();
        for i in &items {
            w.push(i);
        }
        let lp = w.finish();
        let back: Vec<Vec<u8>> = listpack_elems(&lp)
            .unwrap()
            .iter()
            .map(|e| e.to_vec())
            .collect();
        assert_eq!(back, items);
        for cut in 0..lp.len() {
            assert!(listpack_elems(&lp[..cut]).is_none());
        }
    }

    #[test]
    fn intset_and_ziplist() {
        let b = intset_blob(&[1, 2, 3], 2);
        assert_eq!(b, [2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0]);
        assert_eq!(intset_values(&b), Some((vec![1, 2, 3], 2)));
        assert_eq!(
            intset_values(&intset_blob(&[-5, 1 << 40], 8)).unwrap().0,
            vec![-5, 1 << 40]
        );
        assert!(intset_values(&intset_blob(&[3, 1], 2)).is_none());
        assert!(intset_values(&b[..13]).is_none());
        // A ziplist ["ab", 5, 300] as Redis 6.2 writes it.
        let zl = [
            0x16, 0, 0, 0, 0x11, 0, 0, 0, 3, 0, 0, 2, b'a', b'b', 4, 0xf6, 2, 0xc0, 0x2c, 0x01,
            0xff,
        ];
        let mut zl = zl.to_vec();
        let n = zl.len() as u32;
        zl[0..4].copy_from_slice(&n.to_le_bytes());
        assert_eq!(
            ziplist_elems(&zl).unwrap(),
            vec![Elem::Str(b"ab"), Elem::Int(5), Elem::Int(300)]
        );
        let zm = [
            2, 1, b'a', 1, 0, b'1', 2, b'b', b'c', 2, 1, b'x', b'y', b'?', 255,
        ];
        assert_eq!(
            zipmap_pairs(&zm).unwrap(),
            vec![(&b"a"[..], &b"1"[..]), (&b"bc"[..], &b"xy"[..])]
        );
    }
}
