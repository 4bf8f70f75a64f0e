//! The list value. Redis 7.0 keeps every list as a quicklist (a linked list of
//! listpacks), so OBJECT ENCODING always says "quicklist"; here a list that
//! fits one quicklist node is one packed buffer ([`LPack`]), and a longer one
//! sits in a ring buffer, which gives O(1) pushes and pops at both ends and
//! O(1) indexing. The quicklist's node layout is only modelled for DEBUG OBJECT
//! (`ql_nodes`, `ql_uncompressed_size`, `serializedlength`), as if the list had
//! been built by pushes at one end with the fill it was created with.

use std::borrow::Cow;
use std::collections::VecDeque;

use super::lpack::{self, LPack};
use super::value::Str;

/// Which end of a list (LIST_HEAD / LIST_TAIL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl End {
    /// LEFT / RIGHT, case-insensitively (getListPositionFromObjectOrReply).
    pub fn parse(arg: &[u8]) -> Option<End> {
        if arg.eq_ignore_ascii_case(b"left") {
            Some(End::Left)
        } else if arg.eq_ignore_ascii_case(b"right") {
            Some(End::Right)
        } else {
            None
        }
    }

    /// The keyspace event of a push at this end.
    pub fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    /// The keyspace event of a pop at this end.
    pub fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }
}

/// quicklistSetFill's bounds.
const FILL_MAX: i64 = (1 << 15) - 1;
const FILL_MIN: i64 = -5;

/// A list. Small lists (those that would fit one quicklist node) keep their
/// elements packed in one buffer, as Redis keeps them in one listpack; a list
/// that outgrows that moves to a ring buffer of values for O(1) work at both
/// ends and by index, and stays there until it is deleted.
#[derive(Clone, PartialEq)]
pub struct List {
    repr: Repr,
}

#[derive(Clone, PartialEq)]
enum Repr {
    /// Holds the list-max-listpack-size and list-compress-depth of creation.
    Packed(LPack),
    Deque(Box<Deque>),
}

#[derive(Clone, PartialEq)]
struct Deque {
    items: VecDeque<Str>,
    /// list-max-listpack-size when the list was created (clamped like Redis).
    fill: i16,
    /// Whether list-compress-depth was non-zero when the list was created.
    compress: bool,
}

impl std::fmt::Debug for List {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The quicklist figures DEBUG OBJECT prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuicklistStats {
    pub nodes: usize,
    pub fill: i16,
    pub compressed: bool,
    /// Sum of the listpack sizes in bytes.
    pub uncompressed_size: usize,
    /// rdbSavedObjectLen without LZF compression of the listpacks.
    pub serialized_len: usize,
}

/// Whether a packed list of `count` elements in `bytes` bytes is within one
/// quicklist node's limits for `fill` (quicklistNodeExceedsLimit, by our sizes).
fn fits_one_node(fill: i16, count: usize, bytes: usize) -> bool {
    if count > LPack::MAX_LEN {
        return false;
    }
    if fill < 0 {
        let level = ((-(fill as i32) - 1) as usize).min(OPTIMIZATION_LEVEL.len() - 1);
        bytes <= OPTIMIZATION_LEVEL[level]
    } else {
        count <= (fill as usize).max(1) && bytes <= SIZE_SAFETY_LIMIT
    }
}

impl List {
    pub fn new(fill: i64, compress_depth: i64) -> List {
        let mut p = LPack::default();
        p.fill = fill.clamp(FILL_MIN, FILL_MAX) as i16;
        p.compress = compress_depth != 0;
        List {
            repr: Repr::Packed(p),
        }
    }

    /// list-max-listpack-size when the list was created (clamped like Redis).
    pub fn fill(&self) -> i16 {
        match &self.repr {
            Repr::Packed(p) => p.fill,
            Repr::Deque(d) => d.fill,
        }
    }

    /// Moves a packed list to the ring buffer when `extra` more elements of
    /// `bytes` more bytes would not fit one node.
    fn make_room(&mut self, extra: usize, bytes: usize) {
        if let Repr::Packed(p) = &mut self.repr {
            if !fits_one_node(p.fill, p.len() + extra, p.bytes() + bytes) {
                let items = p.iter().map(Str::plain).collect();
                let d = Deque {
                    items,
                    fill: p.fill,
                    compress: p.compress,
                };
                self.repr = Repr::Deque(Box::new(d));
            }
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.len(),
            Repr::Deque(d) => d.items.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn push(&mut self, end: End, elem: &[u8]) {
        self.make_room(1, lpack::entry_len(elem));
        match &mut self.repr {
            Repr::Packed(p) => match end {
                End::Left => p.push_front(elem),
                End::Right => p.push_back(elem),
            },
            Repr::Deque(d) => match end {
                End::Left => d.items.push_front(Str::plain(elem)),
                End::Right => d.items.push_back(Str::plain(elem)),
            },
        }
    }

    #[inline]
    pub fn push_str(&mut self, end: End, s: Str) {
        match &mut self.repr {
            Repr::Deque(d) => match end {
                End::Left => d.items.push_front(s),
                End::Right => d.items.push_back(s),
            },
            Repr::Packed(_) => s.with_bytes(|b| self.push(end, b)),
        }
    }

    #[inline]
    pub fn pop(&mut self, end: End) -> Option<Str> {
        match &mut self.repr {
            Repr::Packed(p) => match end {
                End::Left => p.pop_front(Str::plain),
                End::Right => p.pop_back(Str::plain),
            },
            Repr::Deque(d) => {
                let s = match end {
                    End::Left => d.items.pop_front(),
                    End::Right => d.items.pop_back(),
                };
                d.shrink();
                s
            }
        }
    }

    /// A Redis index (negative counts from the tail) as a position, if in range.
    pub fn position(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let i = if index < 0 { index + len } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    pub fn get(&self, index: i64) -> Option<Cow<'_, [u8]>> {
        let i = self.position(index)?;
        match &self.repr {
            Repr::Packed(p) => p.get(i).map(Cow::Borrowed),
            Repr::Deque(d) => d.items.get(i).map(Str::as_bytes),
        }
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: i64, elem: &[u8]) -> bool {
        let Some(i) = self.position(index) else {
            return false;
        };
        self.make_room(0, lpack::entry_len(elem));
        match &mut self.repr {
            Repr::Packed(p) => p.set(i, elem),
            Repr::Deque(d) => d.items[i] = Str::plain(elem),
        }
        true
    }

    /// The positions `[start, end]` that LRANGE's `start end` select
    /// (addListRangeReply's clamping), or None for an empty range.
    pub fn range(&self, start: i64, end: i64) -> Option<(usize, usize)> {
        let len = self.len() as i64;
        let mut start = if start < 0 { start + len } else { start };
        let mut end = if end < 0 { end + len } else { end };
        if start < 0 {
            start = 0;
        }
        if start > end || start >= len {
            return None;
        }
        if end >= len {
            end = len - 1;
        }
        Some((start as usize, end as usize))
    }

    /// Every element, head to tail (double-ended).
    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Packed(p) => Iter::Packed(p.iter()),
            Repr::Deque(d) => Iter::Deque(d.items.iter()),
        }
    }

    /// Elements of positions `[from, to]`, in order.
    pub fn slice(&self, from: usize, to: usize) -> std::iter::Take<Iter<'_>> {
        let it = match &self.repr {
            Repr::Packed(p) => {
                let mut it = p.iter();
                if from > 0 {
                    it.nth(from - 1);
                }
                Iter::Packed(it)
            }
            Repr::Deque(d) => Iter::Deque(d.items.range(from..)),
        };
        it.take(to + 1 - from)
    }

    /// Keeps only `[start, end]` (LTRIM); returns how many were removed.
    pub fn trim(&mut self, start: i64, end: i64) -> usize {
        let len = self.len();
        let range = self.range(start, end);
        match (&mut self.repr, range) {
            (Repr::Packed(p), None) => p.retain(|_, _| false),
            (Repr::Packed(p), Some((from, to))) => p.keep(from, to),
            (Repr::Deque(d), None) => d.items.clear(),
            (Repr::Deque(d), Some((from, to))) => {
                d.items.truncate(to + 1);
                d.items.drain(..from);
                d.shrink();
            }
        }
        len - self.len()
    }

    /// Removes up to `count` elements equal to `elem` (all when 0), from the
    /// head, or from the tail when `from_tail`. Returns how many were removed.
    pub fn remove(&mut self, elem: &[u8], count: usize, from_tail: bool) -> usize {
        // From the tail, the removals are the matches at or after the
        // count-th match seen from the tail: find where they begin.
        let first = if from_tail && count > 0 {
            let mut seen = 0;
            let mut first = 0;
            let len = self.len();
            for (k, s) in self.iter().rev().enumerate() {
                if *s == *elem {
                    seen += 1;
                    first = len - 1 - k;
                    if seen == count {
                        break;
                    }
                }
            }
            first
        } else {
            0
        };
        let limit = if from_tail { 0 } else { count };
        let mut removed = 0;
        let mut keep = |at: usize, b: &[u8]| {
            if at >= first && (limit == 0 || removed < limit) && b == elem {
                removed += 1;
                false
            } else {
                true
            }
        };
        match &mut self.repr {
            Repr::Packed(p) => p.retain(keep),
            Repr::Deque(d) => {
                let mut i = 0;
                d.items.retain(|s| {
                    i += 1;
                    s.with_bytes(|b| keep(i - 1, b))
                });
                d.shrink();
            }
        }
        removed
    }

    /// Inserts before (or after) the first element equal to `pivot`; false when
    /// there is no such element.
    pub fn insert(&mut self, pivot: &[u8], elem: &[u8], after: bool) -> bool {
        let Some(i) = self.iter().position(|s| *s == *pivot) else {
            return false;
        };
        let at = if after { i + 1 } else { i };
        self.make_room(1, lpack::entry_len(elem));
        match &mut self.repr {
            Repr::Packed(p) => p.insert(at, elem),
            Repr::Deque(d) => d.items.insert(at, Str::plain(elem)),
        }
        true
    }

    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.bytes(),
            Repr::Deque(d) => {
                std::mem::size_of::<Deque>()
                    + d.items.capacity() * std::mem::size_of::<Str>()
                    + d.items.iter().map(Str::heap_size).sum::<usize>()
            }
        }
    }

    /// The quicklist layout Redis would have after pushing these elements at
    /// one end (_quicklistNodeAllowInsert), for DEBUG OBJECT.
    pub fn quicklist_stats(&self) -> QuicklistStats {
        let mut nodes = 0usize;
        let mut total = 0usize;
        let mut serialized = 0usize;
        let mut node_sz = 0usize;
        let mut node_count = 0usize;
        let mut close = |sz: usize| {
            total += sz;
            serialized += 1 + rdb_len_size(sz) + sz;
        };
        let fill = self.fill();
        for s in self.iter() {
            let entry = super::listpack::entry_size(&s);
            if node_count > 0 && allow_insert(node_sz, node_count, fill, s.len()) {
                node_sz += entry;
                node_count += 1;
            } else {
                if node_count > 0 {
                    close(node_sz);
                }
                nodes += 1;
                node_sz = LP_HDR + LP_END + entry;
                node_count = 1;
            }
        }
        if node_count > 0 {
            close(node_sz);
        }
        QuicklistStats {
            nodes,
            fill,
            compressed: match &self.repr {
                Repr::Packed(p) => p.compress,
                Repr::Deque(d) => d.compress,
            },
            uncompressed_size: total,
            serialized_len: rdb_len_size(nodes) + serialized,
        }
    }
}

impl Deque {
    /// Gives memory back once the buffer is mostly empty (Redis frees
    /// quicklist nodes as they empty); halving keeps pops amortised O(1).
    #[inline]
    fn shrink(&mut self) {
        let cap = self.items.capacity();
        if cap > 64 && self.items.len() * 4 < cap {
            self.items.shrink_to(self.items.len() * 2);
        }
    }
}

/// Elements as bytes (borrowed: list elements are never integer-encoded).
pub enum Iter<'a> {
    Packed(lpack::Iter<'a>),
    Deque(std::collections::vec_deque::Iter<'a, Str>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Cow<'a, [u8]>;
    #[inline]
    fn next(&mut self) -> Option<Cow<'a, [u8]>> {
        match self {
            Iter::Packed(it) => it.next().map(Cow::Borrowed),
            Iter::Deque(it) => it.next().map(Str::as_bytes),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Packed(it) => it.next_back().map(Cow::Borrowed),
            Iter::Deque(it) => it.next_back().map(Str::as_bytes),
        }
    }
}

const LP_HDR: usize = 6;
const LP_END: usize = 1;
const SIZE_SAFETY_LIMIT: usize = 8192;
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// _quicklistNodeAllowInsert (7.0.15) for an element of `sz` raw bytes: the
/// node's new size is estimated with a fixed 8-byte overhead
/// (SIZE_ESTIMATE_OVERHEAD); a negative fill is a size limit, a positive one
/// a count limit under the 8 KB safety limit.
pub(crate) fn allow_insert(node_sz: usize, node_count: usize, fill: i16, sz: usize) -> bool {
    let new_sz = node_sz + sz + 8;
    if fill < 0 {
        let offset = ((-(fill as i32) - 1) as usize).min(OPTIMIZATION_LEVEL.len() - 1);
        return new_sz <= OPTIMIZATION_LEVEL[offset];
    }
    if new_sz > SIZE_SAFETY_LIMIT {
        return false;
    }
    (node_count as i64) < fill as i64
}

/// Bytes of an RDB length prefix (rdbSaveLen).
fn rdb_len_size(n: usize) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn list(fill: i64, items: &[&str]) -> List {
        let mut l = List::new(fill, 0);
        for i in items {
            l.push(End::Right, i.as_bytes());
        }
        l
    }

    fn items(l: &List) -> Vec<String> {
        l.iter()
            .map(|s| String::from_utf8_lossy(&s).into_owned())
            .collect()
    }

    #[test]
    fn ranges_clamp_like_redis() {
        let l = list(-2, &["a", "b", "c"]);
        assert_eq!(l.range(0, -1), Some((0, 2)));
        assert_eq!(l.range(-100, 100), Some((0, 2)));
        assert_eq!(l.range(2, 1), None);
        assert_eq!(l.range(3, 5), None);
        assert_eq!(l.range(-1, -1), Some((2, 2)));
        assert_eq!(l.get(-3).map(|s| s.into_owned()), Some(b"a".to_vec()));
        assert!(l.get(3).is_none() && l.get(-4).is_none());
    }

    #[test]
    fn trim_remove_insert() {
        let mut l = list(-2, &["a", "b", "c", "d"]);
        assert_eq!(l.trim(1, -2), 2);
        assert_eq!(items(&l), ["b", "c"]);
        assert_eq!(l.trim(5, 10), 2);
        assert!(l.is_empty());
        let mut l = list(-2, &["x", "a", "x", "b", "x"]);
        assert_eq!(l.remove(b"x", 2, true), 2);
        assert_eq!(items(&l), ["x", "a", "b"]);
        assert_eq!(l.remove(b"x", 0, false), 1);
        assert!(l.insert(b"b", b"z", true));
        assert!(l.insert(b"a", b"y", false));
        assert!(!l.insert(b"q", b"y", false));
        assert_eq!(items(&l), ["y", "a", "b", "z"]);
    }

    #[test]
    fn quicklist_model_matches_debug_object() {
        // Figures read from redis-server 7.0.15's DEBUG OBJECT.
        let s = list(-2, &["a", "b", "c"]).quicklist_stats();
        assert_eq!(
            (s.nodes, s.uncompressed_size, s.serialized_len),
            (1, 16, 19)
        );
        let s = list(2, &["a", "b", "c", "d", "e"]).quicklist_stats();
        assert_eq!(
            (s.nodes, s.uncompressed_size, s.serialized_len),
            (3, 36, 43)
        );
        let big = "x".repeat(10000);
        let s = list(-2, &[&big]).quicklist_stats();
        assert_eq!((s.nodes, s.uncompressed_size), (1, 10014));
        assert_eq!(List::new(100000, 0).fill(), 32767);
        assert_eq!(List::new(-7, 0).fill(), -5);
    }

    #[test]
    fn pops_give_memory_back() {
        let mut l = List::new(-2, 0);
        for i in 0..10_000 {
            l.push(End::Right, format!("{i}").as_bytes());
        }
        while l.len() > 10 {
            l.pop(End::Left);
        }
        let Repr::Deque(d) = &l.repr else {
            panic!("a 10 000-element list is not packed")
        };
        assert!(d.items.capacity() <= 64, "capacity {}", d.items.capacity());
        assert_eq!(l.get(0).map(|s| s.into_owned()), Some(b"9990".to_vec()));
    }

    #[test]
    fn packed_and_ring_buffer_agree_with_a_model() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for fill in [-1, 3, 50] {
            let mut l = List::new(fill, 0);
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            let mut was_packed = false;
            for step in 0..4000 {
                let v = format!("{}", rng.gen_range(0..20)).repeat(rng.gen_range(1..40));
                let v = v.as_bytes();
                let i = rng.gen_range(-25i64..25);
                match rng.gen_range(0..9) {
                    0 => {
                        l.push(End::Left, v);
                        model.push_front(v.to_vec());
                    }
                    1 | 2 => {
                        l.push(End::Right, v);
                        model.push_back(v.to_vec());
                    }
                    3 => assert_eq!(
                        l.pop(End::Left).map(|s| s.as_bytes().into_owned()),
                        model.pop_front()
                    ),
                    4 => assert_eq!(
                        l.pop(End::Right).map(|s| s.as_bytes().into_owned()),
                        model.pop_back()
                    ),
                    5 => {
                        let ok = l.set(i, v);
                        assert_eq!(ok, l.position(i).is_some());
                        if let Some(p) = l.position(i) {
                            model[p] = v.to_vec();
                        }
                    }
                    6 => {
                        let pivot = model.get(rng.gen_range(0..=model.len())).cloned();
                        let pivot = pivot.unwrap_or_else(|| b"absent".to_vec());
                        let after = rng.gen_bool(0.5);
                        let hit = model.iter().position(|x| *x == pivot);
                        assert_eq!(l.insert(&pivot, v, after), hit.is_some());
                        if let Some(h) = hit {
                            model.insert(h + after as usize, v.to_vec());
                        }
                    }
                    7 if step % 7 == 0 => {
                        let (a, b) = (rng.gen_range(-10i64..10), rng.gen_range(-10i64..30));
                        let kept = l.range(a, b);
                        l.trim(a, b);
                        model = match kept {
                            None => VecDeque::new(),
                            Some((f, t)) => model.range(f..=t).cloned().collect(),
                        };
                    }
                    8 if step % 5 == 0 => {
                        let target = model.front().cloned().unwrap_or_default();
                        let count = rng.gen_range(0..3);
                        let tail = rng.gen_bool(0.5);
                        let removed = l.remove(&target, count, tail);
                        let mut order: Vec<usize> = (0..model.len()).collect();
                        if tail {
                            order.reverse();
                        }
                        let mut gone = vec![];
                        for k in order {
                            if model[k] == target && (count == 0 || gone.len() < count) {
                                gone.push(k);
                            }
                        }
                        assert_eq!(removed, gone.len());
                        gone.sort_unstable();
                        for k in gone.into_iter().rev() {
                            model.remove(k);
                        }
                    }
                    _ => {}
                }
                was_packed |= matches!(l.repr, Repr::Packed(_)) && l.len() > 2;
                assert_eq!(l.len(), model.len(), "fill {fill} step {step}");
                let got: Vec<Vec<u8>> = l.iter().map(Cow::into_owned).collect();
                assert!(got.iter().eq(model.iter()), "fill {fill} step {step}");
                let back: Vec<Vec<u8>> = l.iter().rev().map(Cow::into_owned).collect();
                assert!(back.iter().eq(model.iter().rev()));
                if let Some((f, t)) = l.range(1, -2) {
                    assert!(l
                        .slice(f, t)
                        .map(Cow::into_owned)
                        .eq(model.range(f..=t).cloned()));
                }
                assert_eq!(
                    l.get(i).map(Cow::into_owned),
                    l.position(i).map(|p| model[p].clone())
                );
                if model.is_empty() {
                    l = List::new(fill, 0);
                }
            }
            assert!(was_packed, "fill {fill} never exercised the packed form");
        }
    }
}
