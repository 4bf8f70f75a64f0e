//! Sorted sets with Redis 7.0's two encodings: `listpack` (one packed buffer
//! of entries in order, see [`ZPack`], up to zset-max-listpack-entries members of at most
//! zset-max-listpack-value bytes) and `skiplist` (an indexable skiplist for
//! order and rank plus a member→score hash table for lookups and ZSCAN).
//! Conversion happens only from listpack to skiplist, as in Redis.

use super::dict::Dict;
use super::key::Key;
use super::skiplist::{Cursor, SkipList};
use super::zpack::ZPack;

/// The thresholds of the listpack encoding, from the config.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

pub struct SkipZ {
    pub dict: Dict<Key, f64>,
    pub zsl: SkipList,
}

pub enum ZSet {
    Listpack(ZPack),
    Skiplist(Box<SkipZ>),
}

/// The order of sorted sets: score, then member bytes.
#[inline]
pub fn cmp(a: (f64, &[u8]), b: (f64, &[u8])) -> std::cmp::Ordering {
    a.0.partial_cmp(&b.0)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then_with(|| a.1.cmp(b.1))
}

impl ZSet {
    /// An empty set as ZADD creates it for its first member (7.0's check looks
    /// at the first member only).
    pub fn for_first(member_len: usize, lim: Limits) -> ZSet {
        if lim.entries == 0 || member_len > lim.value {
            ZSet::new_skiplist()
        } else {
            ZSet::Listpack(ZPack::default())
        }
    }

    pub fn new_skiplist() -> ZSet {
        ZSet::Skiplist(Box::new(SkipZ {
            dict: Dict::new(),
            zsl: SkipList::new(),
        }))
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.len(),
            ZSet::Skiplist(z) => z.zsl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => v.find(member).map(|(_, e)| e.score),
            ZSet::Skiplist(z) => z.dict.get(member).copied(),
        }
    }

    /// Converts a listpack to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::Listpack(v) = self {
            let mut z = SkipZ {
                dict: Dict::new(),
                zsl: SkipList::new(),
            };
            for e in v.iter() {
                z.dict.insert_new(Key::from(e.member), e.score);
                z.zsl.insert(e.score, e.member.into());
            }
            *self = ZSet::Skiplist(Box::new(z));
        }
    }

    /// Adds a member known to be absent, converting first when the listpack
    /// would exceed its limits (zsetAdd).
    pub fn insert(&mut self, member: &[u8], score: f64, lim: Limits) {
        if let ZSet::Listpack(v) = self {
            if v.len() + 1 > lim.entries.min(ZPack::MAX_LEN) || member.len() > lim.value {
                self.convert_to_skiplist();
            }
        }
        match self {
            ZSet::Listpack(v) => {
                // A listpack keeps scores as text that reads back -0 as 0.
                let score = score + 0.0;
                let at = v
                    .iter()
                    .find(|e| !cmp((e.score, e.member), (score, member)).is_lt())
                    .map_or(v.heap_size(), |e| e.start);
                v.insert_at(at, member, score);
            }
            ZSet::Skiplist(z) => {
                z.dict.insert_new(Key::from(member), score);
                z.zsl.insert(score, member.into());
            }
        }
    }

    /// Changes the score of a present member.
    pub fn update(&mut self, member: &[u8], old: f64, new: f64) {
        match self {
            ZSet::Listpack(v) => {
                if let Some((_, e)) = v.find(member) {
                    let (start, end) = (e.start, e.end);
                    v.remove_entry(start, end);
                    let new = new + 0.0;
                    let at = v
                        .iter()
                        .find(|e| !cmp((e.score, e.member), (new, member)).is_lt())
                        .map_or(v.heap_size(), |e| e.start);
                    v.insert_at(at, member, new);
                }
            }
            ZSet::Skiplist(z) => {
                if z.zsl.remove(old, member) {
                    z.zsl.insert(new, member.into());
                }
                if let Some(s) = z.dict.get_mut(member) {
                    *s = new;
                }
            }
        }
    }

    /// Removes a member, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => {
                let (_, e) = v.find(member)?;
                let (start, end, score) = (e.start, e.end, e.score);
                v.remove_entry(start, end);
                Some(score)
            }
            ZSet::Skiplist(z) => {
                let (_, s) = z.dict.remove(member)?;
                z.zsl.remove(s, member);
                z.dict.shrink_if_needed();
                Some(s)
            }
        }
    }

    /// 0-based ascending rank and score of a member.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSet::Listpack(v) => v.find(member).map(|(i, e)| (i, e.score)),
            ZSet::Skiplist(z) => {
                let s = *z.dict.get(member)?;
                z.zsl.rank(s, member).map(|r| (r, s))
            }
        }
    }

    /// How many leading elements satisfy `pred` (a prefix predicate).
    pub fn count_while(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSet::Listpack(v) => v.iter().take_while(|e| pred(e.score, e.member)).count(),
            ZSet::Skiplist(z) => z.zsl.count_while(pred),
        }
    }

    /// Calls `f` for the elements of ranks `lo..hi` (0-based, `hi` exclusive),
    /// ascending or, with `rev`, from `hi - 1` down to `lo`.
    pub fn for_range(&self, lo: usize, hi: usize, rev: bool, mut f: impl FnMut(&[u8], f64)) {
        let hi = hi.min(self.len());
        if lo >= hi {
            return;
        }
        match self {
            ZSet::Listpack(v) => {
                if rev {
                    for start in v.offsets(lo, hi).into_iter().rev() {
                        let e = v.entry_at(start);
                        f(e.member, e.score);
                    }
                } else {
                    v.iter()
                        .skip(lo)
                        .take(hi - lo)
                        .for_each(|e| f(e.member, e.score));
                }
            }
            ZSet::Skiplist(z) => {
                let mut c: Option<Cursor> = z.zsl.at(if rev { hi - 1 } else { lo });
                for _ in lo..hi {
                    let Some(cur) = c else { break };
                    let (m, s) = z.zsl.get(cur);
                    f(m, s);
                    c = if rev {
                        z.zsl.pred(cur)
                    } else {
                        z.zsl.succ(cur)
                    };
                }
            }
        }
    }

    /// The element at a 0-based rank.
    pub fn at(&self, rank: usize) -> Option<(&[u8], f64)> {
        match self {
            ZSet::Listpack(v) => v.at(rank).map(|e| (e.member, e.score)),
            ZSet::Skiplist(z) => z.zsl.at(rank).map(|c| z.zsl.get(c)),
        }
    }

    /// Removes the elements of ranks `lo..hi`; returns how many.
    pub fn remove_range(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len());
        if lo >= hi {
            return 0;
        }
        match self {
            ZSet::Listpack(v) => v.remove_ranks(lo, hi),
            ZSet::Skiplist(_) => {
                let mut gone: Vec<(Box<[u8]>, f64)> = Vec::with_capacity(hi - lo);
                self.for_range(lo, hi, false, |m, s| gone.push((m.into(), s)));
                if let ZSet::Skiplist(z) = self {
                    for (m, s) in &gone {
                        z.zsl.remove(*s, m);
                        z.dict.remove(m);
                    }
                    z.dict.shrink_if_needed();
                }
            }
        }
        hi - lo
    }

    /// A set from elements already sorted and distinct, in the encoding
    /// zsetConvertToListpackIfNeeded picks for a computed result.
    pub fn from_sorted(items: Vec<(Box<[u8]>, f64)>, lim: Limits) -> ZSet {
        let longest = items.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if items.len() <= lim.entries.min(ZPack::MAX_LEN) && longest <= lim.value {
            ZSet::Listpack(ZPack::from_sorted(
                items.iter().map(|(m, s)| (&m[..], s + 0.0)),
            ))
        } else {
            let mut z = SkipZ {
                dict: Dict::new(),
                zsl: SkipList::new(),
            };
            for (m, s) in items {
                z.dict.insert_new(Key::from(&m[..]), s);
                z.zsl.insert(s, m);
            }
            ZSet::Skiplist(Box::new(z))
        }
    }

    /// Every element, in order.
    pub fn to_vec(&self) -> Vec<(Box<[u8]>, f64)> {
        let mut out = Vec::with_capacity(self.len());
        self.for_range(0, self.len(), false, |m, s| out.push((m.into(), s)));
        out
    }

    pub fn heap_size(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.heap_size(),
            ZSet::Skiplist(z) => {
                std::mem::size_of::<SkipZ>()
                    + z.zsl.heap_size()
                    + z.dict.slots() * 8
                    + z.dict.len() * (std::mem::size_of::<Key>() + 24)
            }
        }
    }
}

impl Clone for ZSet {
    fn clone(&self) -> Self {
        match self {
            ZSet::Listpack(v) => ZSet::Listpack(v.clone()),
            ZSet::Skiplist(_) => {
                let mut z = ZSet::new_skiplist();
                let unbounded = Limits {
                    entries: usize::MAX,
                    value: usize::MAX,
                };
                self.for_range(0, self.len(), false, |m, s| z.insert(m, s, unbounded));
                z
            }
        }
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.to_vec() == other.to_vec()
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ZSet({}, {} members)", self.encoding(), self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_at_the_limits_and_keeps_order() {
        let lim = Limits {
            entries: 3,
            value: 4,
        };
        let mut z = ZSet::for_first(1, lim);
        z.insert(b"b", 2.0, lim);
        z.insert(b"a", 2.0, lim);
        z.insert(b"c", 1.0, lim);
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(z.rank(b"c"), Some((0, 1.0)));
        assert_eq!(z.rank(b"b"), Some((2, 2.0)));
        z.insert(b"d", 0.5, lim);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.rank(b"b"), Some((3, 2.0)));
        z.update(b"d", 0.5, 9.0);
        assert_eq!(z.at(3), Some((&b"d"[..], 9.0)));
        assert_eq!(z.remove(b"a"), Some(2.0));
        assert_eq!(z.count_while(|s, _| s < 2.0), 1);
        let mut seen = vec![];
        z.for_range(0, 10, true, |m, _| seen.push(m.to_vec()));
        assert_eq!(seen, vec![b"d".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        let mut y = ZSet::for_first(1, lim);
        y.insert(b"long-member", 1.0, lim);
        assert_eq!(y.encoding(), "skiplist");
        assert_eq!(z.clone(), z);
    }

    #[test]
    fn listpack_and_skiplist_agree_under_random_edits() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let big = Limits {
            entries: usize::MAX,
            value: usize::MAX,
        };
        let mut lp = ZSet::for_first(1, big);
        let mut sl = ZSet::new_skiplist();
        let scores = [0.0, 1.0, -3.0, 2.5, 1e20, f64::INFINITY, -0.5, 7.0];
        for step in 0..3000 {
            let m = format!("m{}", rng.gen_range(0..60));
            let s = scores[rng.gen_range(0..scores.len())] + rng.gen_range(0..3) as f64;
            match (rng.gen_range(0..4), lp.score(m.as_bytes())) {
                (0 | 1, None) => {
                    lp.insert(m.as_bytes(), s, big);
                    sl.insert(m.as_bytes(), s, big);
                }
                (0 | 1, Some(old)) => {
                    lp.update(m.as_bytes(), old, s);
                    sl.update(m.as_bytes(), old, s);
                }
                (2, _) => assert_eq!(lp.remove(m.as_bytes()), sl.remove(m.as_bytes())),
                _ => {
                    let n = lp.len();
                    let lo = rng.gen_range(0..=n);
                    let hi = (lo + rng.gen_range(0..3)).min(n);
                    if step % 10 == 0 {
                        assert_eq!(lp.remove_range(lo, hi), sl.remove_range(lo, hi));
                    }
                }
            }
            assert_eq!(lp.encoding(), "listpack");
            assert_eq!(lp.to_vec(), sl.to_vec(), "step {step}");
            assert_eq!(lp.rank(m.as_bytes()), sl.rank(m.as_bytes()));
            let (mut a, mut b) = (vec![], vec![]);
            lp.for_range(1, 5, true, |m, s| a.push((m.to_vec(), s)));
            sl.for_range(1, 5, true, |m, s| b.push((m.to_vec(), s)));
            assert_eq!(a, b);
            assert_eq!(
                lp.count_while(|s, _| s < 2.0),
                sl.count_while(|s, _| s < 2.0)
            );
        }
    }
}
