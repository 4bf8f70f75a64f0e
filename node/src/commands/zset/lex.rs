//! Lexicographic ranges walked the way Redis walks them (zslFirstInLexRange,
//! zzlFirstInLexRange and their "last" forms): the listpack is scanned
//! linearly, the skiplist by its levels, and a range is extended one element
//! at a time. With equal scores this is plain binary search; with mixed
//! scores (undefined by Redis's docs) it still gives Redis's replies.

use super::parse::LexRange;
use crate::store::zset::ZSet;

fn member(z: &ZSet, i: usize) -> &[u8] {
    z.at(i).map_or(&[][..], |(m, _)| m)
}

/// zslIsInLexRange: a non-empty range that may touch the set's ends.
fn may_intersect(z: &ZSet, r: &LexRange) -> bool {
    if z.is_empty() || r.is_empty() {
        return false;
    }
    r.gte_min(member(z, z.len() - 1)) && r.lte_max(member(z, 0))
}

/// Rank of the first element in range.
pub fn first_in(z: &ZSet, r: &LexRange) -> Option<usize> {
    if !may_intersect(z, r) {
        return None;
    }
    let lo = match z {
        ZSet::Listpack(v) => v.iter().position(|e| r.gte_min(e.member))?,
        ZSet::Skiplist(_) => z.count_while(|_, m| !r.gte_min(m)),
    };
    (lo < z.len() && r.lte_max(member(z, lo))).then_some(lo)
}

/// Rank of the last element in range.
pub fn last_in(z: &ZSet, r: &LexRange) -> Option<usize> {
    if !may_intersect(z, r) {
        return None;
    }
    let hi = match z {
        ZSet::Listpack(v) => {
            v.iter()
                .enumerate()
                .filter(|(_, e)| r.lte_max(e.member))
                .last()?
                .0
        }
        ZSet::Skiplist(_) => z.count_while(|_, m| r.lte_max(m)).checked_sub(1)?,
    };
    r.gte_min(member(z, hi)).then_some(hi)
}

/// ZLEXCOUNT.
pub fn count(z: &ZSet, r: &LexRange) -> usize {
    let Some(lo) = first_in(z, r) else { return 0 };
    match z {
        ZSet::Listpack(v) => v
            .iter()
            .skip(lo)
            .take_while(|e| r.lte_max(e.member))
            .count(),
        ZSet::Skiplist(_) => {
            let mut n = z.len() - lo;
            if let Some(hi) = last_in(z, r) {
                n -= z.len() - (hi + 1);
            }
            n
        }
    }
}

/// The ranks `lo..hi` a BYLEX range selects with LIMIT (`rev` walks down).
pub fn select(z: &ZSet, r: &LexRange, rev: bool, offset: i64, limit: i64) -> (usize, usize) {
    let len = z.len();
    if offset < 0 || (offset > 0 && offset as u64 >= len as u64) {
        return (0, 0);
    }
    let offset = offset as usize;
    let room = |n: usize| limit < 0 || (n as u64) < limit as u64;
    if !rev {
        let Some(lo) = first_in(z, r) else {
            return (0, 0);
        };
        let start = lo + offset;
        let mut end = start;
        while end < len && room(end - start) && r.lte_max(member(z, end)) {
            end += 1;
        }
        (start.min(end), end)
    } else {
        let Some(hi) = last_in(z, r) else {
            return (0, 0);
        };
        if offset > hi {
            return (0, 0);
        }
        let top = hi - offset + 1;
        let mut low = top;
        while low > 0 && room(top - low) && r.gte_min(member(z, low - 1)) {
            low -= 1;
        }
        (low, top)
    }
}

/// The ranks ZREMRANGEBYLEX deletes.
pub fn remove_span(z: &ZSet, r: &LexRange) -> (usize, usize) {
    let lo = match z {
        ZSet::Listpack(_) => match first_in(z, r) {
            Some(lo) => lo,
            None => return (0, 0),
        },
        ZSet::Skiplist(_) => z.count_while(|_, m| !r.gte_min(m)),
    };
    let mut hi = lo;
    while hi < z.len() && r.lte_max(member(z, hi)) {
        hi += 1;
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::zset::Limits;

    fn set(items: &[(f64, &[u8])]) -> ZSet {
        let lim = Limits {
            entries: 128,
            value: 64,
        };
        let mut z = ZSet::for_first(1, lim);
        for (s, m) in items {
            z.insert(m, *s, lim);
        }
        z
    }

    /// Replies redis-server 7.0.15 gave for a listpack of mixed scores.
    #[test]
    fn listpack_walks_like_redis() {
        let z = set(&[
            (1.0, b"b"),
            (2.0, b"a"),
            (3.0, b"c"),
            (4.0, b"b2"),
            (5.0, b"a2"),
        ]);
        let r = LexRange::parse(b"(a", b"[c").expect("valid");
        assert_eq!(select(&z, &r, false, 0, -1), (0, 5));
        let r = LexRange::parse(b"+", b"[b").expect("valid");
        assert_eq!(select(&z, &r, true, 0, -1), (0, 0));
        let eq = set(&[(0.0, b"a"), (0.0, b"b"), (0.0, b"c"), (0.0, b"d")]);
        let r = LexRange::parse(b"(a", b"[c").expect("valid");
        assert_eq!(select(&eq, &r, false, 0, -1), (1, 3));
        assert_eq!(select(&eq, &r, true, 1, 5), (1, 2));
        assert_eq!(count(&eq, &r), 2);
        assert_eq!(remove_span(&eq, &r), (1, 3));
        assert!(LexRange::parse(b"-", b"-").expect("valid").is_empty());
        assert!(!LexRange::parse(b"[a", b"[a").expect("valid").is_empty());
    }
}
