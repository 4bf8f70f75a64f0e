//! The list value. Redis 7.0 keeps every list as a quicklist (a linked list of
//! listpacks), so OBJECT ENCODING always says "quicklist"; here the elements sit
//! in one ring buffer, which gives O(1) pushes and pops at both ends and O(1)
//! indexing. The quicklist's node layout is only modelled for DEBUG OBJECT
//! (`ql_nodes`, `ql_uncompressed_size`, `serializedlength`), as if the list had
//! been built by pushes at one end with the fill it was created with.

use std::collections::VecDeque;

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

#[derive(Debug, Clone, PartialEq)]
pub struct List {
    items: VecDeque<Str>,
    /// list-max-listpack-size when the list was created (clamped like Redis).
    fill: i16,
    /// Whether list-compress-depth was non-zero when the list was created.
    compress: bool,
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

impl List {
    pub fn new(fill: i64, compress_depth: i64) -> List {
        List {
            items: VecDeque::new(),
            fill: fill.clamp(FILL_MIN, FILL_MAX) as i16,
            compress: compress_depth != 0,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    #[inline]
    pub fn push(&mut self, end: End, elem: &[u8]) {
        self.push_str(end, Str::plain(elem));
    }

    #[inline]
    pub fn push_str(&mut self, end: End, s: Str) {
        match end {
            End::Left => self.items.push_front(s),
            End::Right => self.items.push_back(s),
        }
    }

    #[inline]
    pub fn pop(&mut self, end: End) -> Option<Str> {
        let s = match end {
            End::Left => self.items.pop_front(),
            End::Right => self.items.pop_back(),
        };
        self.shrink();
        s
    }

    /// Gives memory back once the buffer is mostly empty (Redis frees
    /// quicklist nodes as they empty); halving keeps pops amortised O(1).
    #[inline]
    fn shrink(&mut self) {
        let cap = self.items.capacity();
        if cap > 64 && self.items.len() * 4 < cap {
            self.items.shrink_to(self.items.len() * 2);
        }
    }

    /// A Redis index (negative counts from the tail) as a position, if in range.
    pub fn position(&self, index: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let i = if index < 0 { index + len } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    pub fn get(&self, index: i64) -> Option<&Str> {
        self.position(index).and_then(|i| self.items.get(i))
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: i64, elem: &[u8]) -> bool {
        match self.position(index) {
            Some(i) => {
                self.items[i] = Str::plain(elem);
                true
            }
            None => false,
        }
    }

    /// The positions `[start, end]` that LRANGE's `start end` select
    /// (addListRangeReply's clamping), or None for an empty range.
    pub fn range(&self, start: i64, end: i64) -> Option<(usize, usize)> {
        let len = self.items.len() as i64;
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

    pub fn iter(&self) -> std::collections::vec_deque::Iter<'_, Str> {
        self.items.iter()
    }

    /// Elements of positions `[from, to]`, in order.
    pub fn slice(&self, from: usize, to: usize) -> std::collections::vec_deque::Iter<'_, Str> {
        self.items.range(from..=to)
    }

    /// Keeps only `[start, end]` (LTRIM); returns how many were removed.
    pub fn trim(&mut self, start: i64, end: i64) -> usize {
        let len = self.items.len();
        match self.range(start, end) {
            None => {
                self.items.clear();
                len
            }
            Some((from, to)) => {
                self.items.truncate(to + 1);
                self.items.drain(..from);
                self.shrink();
                len - (to + 1 - from)
            }
        }
    }

    /// Removes up to `count` elements equal to `elem` (all when 0), from the
    /// head, or from the tail when `from_tail`. Returns how many were removed.
    pub fn remove(&mut self, elem: &[u8], count: usize, from_tail: bool) -> usize {
        let eq = |s: &Str| s.with_bytes(|b| b == elem);
        // From the tail, the removals are the matches at or after the
        // count-th match seen from the tail: find where they begin.
        let first = if from_tail && count > 0 {
            let mut seen = 0;
            let mut first = 0;
            for (i, s) in self.items.iter().enumerate().rev() {
                if eq(s) {
                    seen += 1;
                    first = i;
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
        let mut i = 0;
        self.items.retain(|s| {
            let at = i;
            i += 1;
            if at >= first && (limit == 0 || removed < limit) && eq(s) {
                removed += 1;
                false
            } else {
                true
            }
        });
        self.shrink();
        removed
    }

    /// Inserts before (or after) the first element equal to `pivot`; false when
    /// there is no such element.
    pub fn insert(&mut self, pivot: &[u8], elem: &[u8], after: bool) -> bool {
        match self.items.iter().position(|s| s.with_bytes(|b| b == pivot)) {
            Some(i) => {
                let at = if after { i + 1 } else { i };
                self.items.insert(at, Str::plain(elem));
                true
            }
            None => false,
        }
    }

    pub fn heap_size(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<Str>()
            + self.items.iter().map(Str::heap_size).sum::<usize>()
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
        for s in &self.items {
            let entry = s.with_bytes(super::listpack::entry_size);
            if node_count > 0 && allow_insert(node_sz, node_count, self.fill, s.len()) {
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
            fill: self.fill,
            compressed: self.compress,
            uncompressed_size: total,
            serialized_len: rdb_len_size(nodes) + serialized,
        }
    }
}

const LP_HDR: usize = 6;
const LP_END: usize = 1;
const SIZE_SAFETY_LIMIT: usize = 8192;
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// _quicklistNodeAllowInsert for an element of `sz` raw bytes.
fn allow_insert(node_sz: usize, node_count: usize, fill: i16, sz: usize) -> bool {
    let mut overhead = if sz < 254 { 1 } else { 5 };
    overhead += if sz < 64 {
        1
    } else if sz < 16384 {
        2
    } else {
        5
    };
    let new_sz = node_sz + sz + overhead;
    if fill < 0 {
        let offset = (-(fill as i32) - 1) as usize;
        if offset < OPTIMIZATION_LEVEL.len() && new_sz <= OPTIMIZATION_LEVEL[offset] {
            return true;
        }
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
            .map(|s| String::from_utf8_lossy(&s.as_bytes()).into_owned())
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
        assert_eq!(
            l.get(-3).map(|s| s.as_bytes().into_owned()),
            Some(b"a".to_vec())
        );
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
        assert_eq!(List::new(100000, 0).fill, 32767);
        assert_eq!(List::new(-7, 0).fill, -5);
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
        assert!(l.items.capacity() <= 64, "capacity {}", l.items.capacity());
        assert_eq!(
            l.get(0).map(|s| s.as_bytes().into_owned()),
            Some(b"9990".to_vec())
        );
    }
}
