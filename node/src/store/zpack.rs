//! The listpack of a small sorted set: one exactly-sized buffer of
//! (member, score) entries in set order, as Redis keeps them. An entry is a
//! LEB128 header `member_len << 1 | int_flag`, the member bytes, then the
//! score: a zigzag LEB128 integer when the score is a whole number of at most
//! 2^53 (most scores are: ranks, counters, timestamps), else its 8 IEEE bytes.
//! A small set thus costs one allocation and about as many bytes as Redis's.

use super::varint;

/// Whole scores up to this magnitude are stored as integers (f64 is exact).
const INT_LIMIT: f64 = 9_007_199_254_740_992.0;

#[derive(Clone, Default, PartialEq)]
pub struct ZPack {
    buf: Box<[u8]>,
    len: u32,
}

/// One decoded entry: where it sits and what it holds.
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    pub start: usize,
    pub end: usize,
    pub member: &'a [u8],
    pub score: f64,
}

/// The bytes of one entry.
fn encode(member: &[u8], score: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(member.len() + 10);
    let whole = score.fract() == 0.0 && score.abs() <= INT_LIMIT;
    varint::put(&mut out, (member.len() as u64) << 1 | whole as u64);
    out.extend_from_slice(member);
    if whole {
        let n = score as i64;
        varint::put(&mut out, ((n << 1) ^ (n >> 63)) as u64);
    } else {
        out.extend_from_slice(&score.to_le_bytes());
    }
    out
}

#[inline]
fn decode(buf: &[u8], start: usize) -> Entry<'_> {
    let (h, pos) = varint::get(buf, start);
    let mlen = (h >> 1) as usize;
    let member = &buf[pos..pos + mlen];
    let pos = pos + mlen;
    let (score, end) = if h & 1 == 1 {
        let (z, end) = varint::get(buf, pos);
        let n = (z >> 1) as i64 ^ -((z & 1) as i64);
        (n as f64, end)
    } else {
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[pos..pos + 8]);
        (f64::from_le_bytes(b), pos + 8)
    };
    Entry {
        start,
        end,
        member,
        score,
    }
}

impl ZPack {
    /// The most entries one holds; a set converts to a skiplist before that.
    pub const MAX_LEN: usize = u32::MAX as usize;

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: 0,
        }
    }

    pub fn find(&self, member: &[u8]) -> Option<(usize, Entry<'_>)> {
        self.iter().enumerate().find(|(_, e)| e.member == member)
    }

    pub fn at(&self, rank: usize) -> Option<Entry<'_>> {
        self.iter().nth(rank)
    }

    /// Byte offset of the entry of rank `rank` (the end when `rank == len`).
    fn offset(&self, rank: usize) -> usize {
        self.iter().nth(rank).map_or(self.buf.len(), |e| e.start)
    }

    /// Inserts before the entry at byte offset `at`.
    pub fn insert_at(&mut self, at: usize, member: &[u8], score: f64) {
        assert!(self.len() < Self::MAX_LEN, "sorted-set listpack full");
        let entry = encode(member, score);
        let mut v = Vec::with_capacity(self.buf.len() + entry.len());
        v.extend_from_slice(&self.buf[..at]);
        v.extend_from_slice(&entry);
        v.extend_from_slice(&self.buf[at..]);
        self.buf = v.into_boxed_slice();
        self.len += 1;
    }

    /// Removes the bytes `start..end`, which hold `n` whole entries.
    fn cut(&mut self, start: usize, end: usize, n: usize) {
        let mut v = Vec::with_capacity(self.buf.len() - (end - start));
        v.extend_from_slice(&self.buf[..start]);
        v.extend_from_slice(&self.buf[end..]);
        self.buf = v.into_boxed_slice();
        self.len -= n as u32;
    }

    pub fn remove_entry(&mut self, start: usize, end: usize) {
        self.cut(start, end, 1);
    }

    /// Removes the entries of ranks `lo..hi` (within bounds).
    pub fn remove_ranks(&mut self, lo: usize, hi: usize) {
        let (s, e) = (self.offset(lo), self.offset(hi));
        self.cut(s, e, hi - lo);
    }

    /// Builds from entries already in order.
    pub fn from_sorted<'a>(items: impl IntoIterator<Item = (&'a [u8], f64)>) -> ZPack {
        let mut v = Vec::new();
        let mut len = 0u32;
        for (m, s) in items {
            v.extend_from_slice(&encode(m, s));
            len += 1;
        }
        ZPack {
            buf: v.into_boxed_slice(),
            len,
        }
    }

    /// Start offsets of the entries of ranks `lo..hi`, for walking backwards.
    pub fn offsets(&self, lo: usize, hi: usize) -> Vec<usize> {
        self.iter()
            .skip(lo)
            .take(hi - lo)
            .map(|e| e.start)
            .collect()
    }

    /// The entry starting at a byte offset got from [`ZPack::offsets`].
    pub fn entry_at(&self, start: usize) -> Entry<'_> {
        decode(&self.buf, start)
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
    type Item = Entry<'a>;
    #[inline]
    fn next(&mut self) -> Option<Entry<'a>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let e = decode(self.buf, self.pos);
        self.pos = e.end;
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_in_both_forms() {
        let scores = [
            0.0,
            1.0,
            -1.0,
            1.5,
            -0.25,
            INT_LIMIT,
            -INT_LIMIT,
            INT_LIMIT * 2.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            1_700_000_000_123.0,
        ];
        let members: Vec<Vec<u8>> = (0..scores.len()).map(|i| vec![b'm'; i * 20]).collect();
        let z = ZPack::from_sorted(members.iter().map(|m| &m[..]).zip(scores));
        assert_eq!(z.len(), scores.len());
        let back: Vec<(Vec<u8>, f64)> = z.iter().map(|e| (e.member.to_vec(), e.score)).collect();
        for (i, (m, s)) in back.iter().enumerate() {
            assert_eq!(m, &members[i]);
            assert_eq!(s.to_bits(), scores[i].to_bits(), "score {}", scores[i]);
        }
    }

    #[test]
    fn insert_and_remove_keep_the_buffer_exact() {
        let mut z = ZPack::default();
        z.insert_at(0, b"b", 2.0);
        z.insert_at(0, b"a", 1.0);
        let end = z.heap_size();
        z.insert_at(end, b"c", 3.5);
        assert_eq!(
            z.iter().map(|e| e.member.to_vec()).collect::<Vec<_>>(),
            [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
        // "a",1 and "b",2 take 1+1+1 bytes; "c",3.5 takes 1+1+8.
        assert_eq!(z.heap_size(), 3 + 3 + 10);
        let (rank, e) = z.find(b"b").unwrap();
        assert_eq!((rank, e.score), (1, 2.0));
        z.remove_entry(e.start, e.end);
        assert_eq!(z.len(), 2);
        assert_eq!(z.at(1).unwrap().member, b"c");
        z.remove_ranks(0, 2);
        assert!(z.is_empty());
        assert_eq!(z.heap_size(), 0);
        let z = ZPack::from_sorted([(&b"x"[..], 1.0), (b"y", 2.0), (b"z", 3.0)]);
        let offs = z.offsets(1, 3);
        assert_eq!(z.entry_at(offs[1]).member, b"z");
    }
}
