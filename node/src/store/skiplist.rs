//! An indexable skiplist (Redis's zskiplist): elements ordered by score, then
//! member bytes, with spans on every link so that rank queries and access by
//! rank take O(log n). Nodes live in an arena and link by index; index 0 is the
//! header.

const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

#[derive(Clone, Copy)]
struct Level {
    next: u32,
    span: u32,
}

struct Node {
    member: Box<[u8]>,
    score: f64,
    backward: u32,
    levels: Vec<Level>,
}

pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    level: usize,
    len: usize,
    tail: u32,
}

/// (score, member) of `n` sorts before (score, member).
#[inline]
fn before(n: &Node, score: f64, member: &[u8]) -> bool {
    n.score < score || (n.score == score && &*n.member < member)
}

fn random_level() -> usize {
    let mut l = 1;
    while l < MAX_LEVEL && rand::random::<u32>() & 0xFFFF < 0x4000 {
        l += 1;
    }
    l
}

impl Default for SkipList {
    fn default() -> Self {
        Self::new()
    }
}

impl SkipList {
    pub fn new() -> Self {
        let head = Node {
            member: Box::default(),
            score: 0.0,
            backward: NIL,
            levels: vec![Level { next: NIL, span: 0 }; MAX_LEVEL],
        };
        SkipList {
            nodes: vec![head],
            free: Vec::new(),
            level: 1,
            len: 0,
            tail: NIL,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn next(&self, x: u32, i: usize) -> u32 {
        self.nodes[x as usize].levels[i].next
    }

    /// Inserts an element known to be absent.
    pub fn insert(&mut self, score: f64, member: Box<[u8]>) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let nx = self.next(x, i);
                if nx != NIL && before(&self.nodes[nx as usize], score, &member) {
                    rank[i] += self.nodes[x as usize].levels[i].span;
                    x = nx;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let lvl = random_level();
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[HEAD as usize].levels[i].span = self.len as u32;
            }
            self.level = lvl;
        }
        let node = Node {
            member,
            score,
            backward: if update[0] == HEAD { NIL } else { update[0] },
            levels: vec![Level { next: NIL, span: 0 }; lvl],
        };
        let new = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..lvl {
            let u = update[i] as usize;
            let ul = self.nodes[u].levels[i];
            self.nodes[new as usize].levels[i] = Level {
                next: ul.next,
                span: ul.span - (rank[0] - rank[i]),
            };
            self.nodes[u].levels[i] = Level {
                next: new,
                span: (rank[0] - rank[i]) + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.nodes[u as usize].levels[i].span += 1;
        }
        let n0 = self.next(new, 0);
        if n0 != NIL {
            self.nodes[n0 as usize].backward = new;
        } else {
            self.tail = new;
        }
        self.len += 1;
    }

    /// Removes the element (score, member); false when absent.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let nx = self.next(x, i);
                if nx != NIL && before(&self.nodes[nx as usize], score, member) {
                    x = nx;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let x = self.next(x, 0);
        if x == NIL {
            return false;
        }
        let n = &self.nodes[x as usize];
        if n.score != score || &*n.member != member {
            return false;
        }
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let u = u as usize;
            if self.nodes[u].levels[i].next == x {
                let xl = self.nodes[x as usize].levels[i];
                self.nodes[u].levels[i].span += xl.span;
                self.nodes[u].levels[i].span -= 1;
                self.nodes[u].levels[i].next = xl.next;
            } else {
                self.nodes[u].levels[i].span -= 1;
            }
        }
        let n0 = self.next(x, 0);
        let back = self.nodes[x as usize].backward;
        if n0 != NIL {
            self.nodes[n0 as usize].backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.next(HEAD, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let n = &mut self.nodes[x as usize];
        n.member = Box::default();
        n.levels = Vec::new();
        self.free.push(x);
        true
    }

    /// 0-based rank of (score, member), if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let nx = self.next(x, i);
                if nx == NIL {
                    break;
                }
                let n = &self.nodes[nx as usize];
                if n.score < score || (n.score == score && &*n.member <= member) {
                    rank += self.nodes[x as usize].levels[i].span as usize;
                    x = nx;
                } else {
                    break;
                }
            }
            let n = &self.nodes[x as usize];
            if x != HEAD && n.score == score && &*n.member == member {
                return Some(rank - 1);
            }
        }
        None
    }

    /// The count of leading elements for which `pred` holds (`pred` must hold
    /// on a prefix of the order, like every range bound does).
    pub fn count_while(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let nx = self.next(x, i);
                if nx == NIL {
                    break;
                }
                let n = &self.nodes[nx as usize];
                if pred(n.score, &n.member) {
                    rank += self.nodes[x as usize].levels[i].span as usize;
                    x = nx;
                } else {
                    break;
                }
            }
        }
        rank
    }

    /// The node at 0-based `rank`.
    pub fn at(&self, rank: usize) -> Option<Cursor> {
        if rank >= self.len {
            return None;
        }
        let target = rank + 1;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let nx = self.next(x, i);
                let span = self.nodes[x as usize].levels[i].span as usize;
                if nx != NIL && traversed + span <= target {
                    traversed += span;
                    x = nx;
                } else {
                    break;
                }
            }
            if traversed == target {
                return Some(Cursor(x));
            }
        }
        None
    }

    pub fn get(&self, c: Cursor) -> (&[u8], f64) {
        let n = &self.nodes[c.0 as usize];
        (&n.member, n.score)
    }

    pub fn succ(&self, c: Cursor) -> Option<Cursor> {
        let n = self.next(c.0, 0);
        (n != NIL).then_some(Cursor(n))
    }

    pub fn pred(&self, c: Cursor) -> Option<Cursor> {
        let b = self.nodes[c.0 as usize].backward;
        (b != NIL).then_some(Cursor(b))
    }

    /// Elements in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut c = self.at(0);
        std::iter::from_fn(move || {
            let cur = c?;
            c = self.succ(cur);
            Some(self.get(cur))
        })
    }

    pub fn heap_size(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| {
                std::mem::size_of::<Node>()
                    + n.member.len()
                    + n.levels.capacity() * std::mem::size_of::<Level>()
            })
            .sum()
    }
}

/// A position in a [`SkipList`], valid until it is modified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(u32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_score_then_member() {
        let mut z = SkipList::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        for i in 0..500u32 {
            let s = ((i * 7919) % 37) as f64;
            let m = format!("m{}", (i * 31) % 211).into_bytes();
            if model.iter().any(|(_, x)| *x == m) {
                continue;
            }
            z.insert(s, m.clone().into_boxed_slice());
            model.push((s, m));
        }
        for (k, (s, m)) in model.clone().iter().enumerate() {
            if k % 3 == 0 {
                assert!(z.remove(*s, m));
                assert!(!z.remove(*s, m));
            }
        }
        let mut model: Vec<_> = model
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % 3 != 0)
            .map(|(_, e)| e)
            .collect();
        model.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        assert_eq!(z.len(), model.len());
        for (r, (s, m)) in model.iter().enumerate() {
            assert_eq!(z.rank(*s, m), Some(r));
            let c = z.at(r).expect("in range");
            assert_eq!(z.get(c), (&m[..], *s));
        }
        assert_eq!(z.count_while(|s, _| s < 10.0), {
            model.iter().filter(|(s, _)| *s < 10.0).count()
        });
        let back: Vec<f64> = {
            let mut v = vec![];
            let mut c = z.at(z.len() - 1);
            while let Some(x) = c {
                v.push(z.get(x).1);
                c = z.pred(x);
            }
            v
        };
        assert_eq!(back.len(), model.len());
        assert_eq!(z.iter().count(), model.len());
    }
}
