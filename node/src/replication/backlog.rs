//! The replication backlog: the stream of propagated bytes with their global
//! offsets, written under the keyspace lock in apply order and read by the
//! replica sender tasks (which take only this buffer's own lock).
//!
//! Like Redis 7's shared replication buffer, it is one list of blocks that
//! both the PSYNC history (`repl-backlog-size` bytes) and the replicas still
//! sending read from: a block goes once it is older than the history and every
//! replica has sent it. A replica that lags more than the replica class's
//! client-output-buffer-limit hard limit is cut off and must sync again.

use std::collections::{HashMap, VecDeque};

const BLOCK: usize = 64 * 1024;

pub struct Backlog {
    blocks: VecDeque<Vec<u8>>,
    /// Offset of the first byte held (offsets of bytes are 1-based).
    start: i64,
    /// Offset of the last byte written: master_repl_offset.
    end: i64,
    /// repl-backlog-size: how much history PSYNC may continue from.
    pub size: usize,
    /// Replica id -> offset of the next byte it needs.
    readers: HashMap<u64, i64>,
    /// Most bytes a replica may lag before it is dropped (0: no limit).
    pub hard_limit: usize,
    /// Readers dropped for lagging, for the master to disconnect.
    pub dropped: Vec<u64>,
}

/// A reader's position is gone: it lagged past the hard limit or the start.
#[derive(Debug, PartialEq, Eq)]
pub struct Lost;

impl Backlog {
    /// An empty backlog continuing after offset `end`.
    pub fn new(end: i64, size: usize, hard_limit: usize) -> Self {
        Backlog {
            blocks: VecDeque::new(),
            start: end + 1,
            end,
            size: size.max(1),
            readers: HashMap::new(),
            hard_limit,
            dropped: Vec::new(),
        }
    }

    pub fn end(&self) -> i64 {
        self.end
    }

    fn held(&self) -> usize {
        (self.end + 1 - self.start) as usize
    }

    /// repl_backlog_histlen: the bytes PSYNC can serve.
    pub fn histlen(&self) -> i64 {
        self.held().min(self.size) as i64
    }

    /// repl_backlog_first_byte_offset.
    pub fn first_byte(&self) -> i64 {
        self.end + 1 - self.histlen()
    }

    /// Whether a PSYNC for `offset` (the next byte wanted) can be served.
    pub fn covers(&self, offset: i64) -> bool {
        offset >= self.first_byte() && offset <= self.end + 1
    }

    pub fn append(&mut self, mut bytes: &[u8]) {
        self.end += bytes.len() as i64;
        while !bytes.is_empty() {
            let room = match self.blocks.back() {
                Some(b) if b.len() < BLOCK => BLOCK - b.len(),
                _ => {
                    self.blocks.push_back(Vec::with_capacity(BLOCK));
                    BLOCK
                }
            };
            let n = room.min(bytes.len());
            if let Some(b) = self.blocks.back_mut() {
                b.extend_from_slice(&bytes[..n]);
            }
            bytes = &bytes[n..];
        }
        self.trim();
    }

    /// Drops readers past the hard limit, then blocks nobody needs.
    fn trim(&mut self) {
        if self.hard_limit > 0 {
            let (end, limit) = (self.end, self.hard_limit as i64);
            let dropped = &mut self.dropped;
            self.readers.retain(|id, next| {
                let keep = end + 1 - *next <= limit;
                if !keep {
                    dropped.push(*id);
                }
                keep
            });
        }
        let keep_from = self.end + 1 - self.size as i64;
        let needed = self
            .readers
            .values()
            .copied()
            .min()
            .unwrap_or(i64::MAX)
            .min(keep_from);
        while let Some(front) = self.blocks.front() {
            let front_end = self.start + front.len() as i64;
            // Never drop the block being written.
            if front_end > needed || self.blocks.len() == 1 {
                break;
            }
            self.start = front_end;
            self.blocks.pop_front();
        }
    }

    /// Starts sending to replica `id` from offset `next`.
    pub fn add_reader(&mut self, id: u64, next: i64) {
        self.readers.insert(id, next);
    }

    pub fn remove_reader(&mut self, id: u64) {
        self.readers.remove(&id);
        self.trim();
    }

    /// Copies up to `max` bytes for replica `id` from its position on and
    /// moves the position past them. Empty: nothing new.
    pub fn read(&mut self, id: u64, max: usize) -> Result<Vec<u8>, Lost> {
        let next = *self.readers.get(&id).ok_or(Lost)?;
        if next < self.start {
            self.readers.remove(&id);
            return Err(Lost);
        }
        let mut out = Vec::new();
        let mut skip = (next - self.start) as usize;
        for b in &self.blocks {
            if out.len() >= max {
                break;
            }
            if skip >= b.len() {
                skip -= b.len();
                continue;
            }
            let take = (b.len() - skip).min(max - out.len());
            out.extend_from_slice(&b[skip..skip + take]);
            skip = 0;
        }
        if let Some(n) = self.readers.get_mut(&id) {
            *n += out.len() as i64;
        }
        self.trim();
        Ok(out)
    }

    /// Changes repl-backlog-size (CONFIG SET).
    pub fn resize(&mut self, size: usize) {
        self.size = size.max(1);
        self.trim();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_history_and_psync_window() {
        let mut b = Backlog::new(100, 10, 0);
        assert_eq!((b.first_byte(), b.histlen()), (101, 0));
        assert!(b.covers(101), "a caught-up replica continues");
        assert!(!b.covers(100));
        b.append(b"hello");
        assert_eq!((b.first_byte(), b.histlen(), b.end()), (101, 5, 105));
        b.append(b"0123456789");
        assert_eq!(b.histlen(), 10);
        assert_eq!(b.first_byte(), 106);
        assert!(b.covers(106) && b.covers(116) && !b.covers(105));
    }

    #[test]
    fn readers_keep_what_they_still_need() {
        let mut b = Backlog::new(0, 4, 0);
        b.add_reader(7, 1);
        let big = vec![b'x'; BLOCK * 3];
        b.append(&big);
        // The history is 4 bytes, but the reader has not read anything yet.
        let got = b.read(7, usize::MAX).unwrap();
        assert_eq!(got.len(), BLOCK * 3);
        assert_eq!(b.read(7, 10).unwrap(), Vec::<u8>::new());
        b.append(b"abc");
        assert_eq!(b.read(7, 2).unwrap(), b"ab");
        assert_eq!(b.read(7, 10).unwrap(), b"c");
        assert!(b.blocks.len() <= 2, "sent blocks are freed");
    }

    #[test]
    fn a_reader_past_the_hard_limit_is_lost() {
        let mut b = Backlog::new(0, 16, 100);
        b.add_reader(1, 1);
        b.append(&[0; 50]);
        assert!(b.read(1, 10).is_ok());
        b.append(&[0; 200]);
        assert_eq!(b.dropped, vec![1]);
        assert_eq!(b.read(1, 10), Err(Lost));
        assert_eq!(b.read(2, 10), Err(Lost), "unknown readers are lost too");
    }
}
