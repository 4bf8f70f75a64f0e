//! Who listens to what: channel, pattern and shard-channel subscribers, and
//! each client's own subscriptions. Messages reach other clients through
//! [`ClientShared::push_output`], so delivery never blocks the publisher.

use std::sync::Arc;

use ahash::{AHashMap, AHashSet};
use bytes::Bytes;

use crate::server::client::ClientShared;
use crate::util::glob_match;

type Subscribers = AHashMap<u64, Arc<ClientShared>>;

/// One client's subscriptions.
#[derive(Default)]
pub struct ClientSubs {
    pub channels: AHashSet<Bytes>,
    /// In subscription order: Redis 7.0 keeps a client's patterns in a list,
    /// so PUNSUBSCRIBE without arguments answers in that order.
    pub patterns: Vec<Bytes>,
    pub shard: AHashSet<Bytes>,
}

impl ClientSubs {
    /// What SUBSCRIBE/PSUBSCRIBE report: channels plus patterns.
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    pub fn total(&self) -> usize {
        self.count() + self.shard.len()
    }
}

/// The three kinds of subscription.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

#[derive(Default)]
pub struct PubSub {
    channels: AHashMap<Bytes, Subscribers>,
    patterns: AHashMap<Bytes, Subscribers>,
    shard: AHashMap<Bytes, Subscribers>,
    clients: AHashMap<u64, ClientSubs>,
}

impl PubSub {
    fn table(&mut self, kind: Kind) -> &mut AHashMap<Bytes, Subscribers> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    pub fn client(&self, id: u64) -> Option<&ClientSubs> {
        self.clients.get(&id)
    }

    /// Subscribes; false when the client already was.
    pub fn subscribe(&mut self, kind: Kind, client: &Arc<ClientShared>, name: &Bytes) -> bool {
        let subs = self.clients.entry(client.id).or_default();
        let added = match kind {
            Kind::Channel => subs.channels.insert(name.clone()),
            Kind::Shard => subs.shard.insert(name.clone()),
            Kind::Pattern => {
                if subs.patterns.contains(name) {
                    false
                } else {
                    subs.patterns.push(name.clone());
                    true
                }
            }
        };
        if added {
            self.table(kind)
                .entry(name.clone())
                .or_default()
                .insert(client.id, client.clone());
        }
        added
    }

    /// Unsubscribes; false when the client was not subscribed.
    pub fn unsubscribe(&mut self, kind: Kind, id: u64, name: &[u8]) -> bool {
        let Some(subs) = self.clients.get_mut(&id) else {
            return false;
        };
        let removed = match kind {
            Kind::Channel => subs.channels.remove(name),
            Kind::Shard => subs.shard.remove(name),
            Kind::Pattern => match subs.patterns.iter().position(|p| p[..] == *name) {
                Some(i) => {
                    subs.patterns.remove(i);
                    true
                }
                None => false,
            },
        };
        if subs.total() == 0 {
            self.clients.remove(&id);
        }
        if removed {
            let table = self.table(kind);
            if let Some(s) = table.get_mut(name) {
                s.remove(&id);
                if s.is_empty() {
                    table.remove(name);
                }
            }
        }
        removed
    }

    /// The client's subscriptions of one kind, in the order an unsubscribe
    /// from all of them reports them.
    pub fn names(&self, kind: Kind, id: u64) -> Vec<Bytes> {
        let Some(subs) = self.clients.get(&id) else {
            return Vec::new();
        };
        match kind {
            Kind::Channel => subs.channels.iter().cloned().collect(),
            Kind::Pattern => subs.patterns.clone(),
            Kind::Shard => subs.shard.iter().cloned().collect(),
        }
    }

    /// Drops every subscription of a client (RESET, disconnect).
    pub fn remove_client(&mut self, id: u64) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in self.names(kind, id) {
                self.unsubscribe(kind, id, &name);
            }
        }
        self.clients.remove(&id);
    }

    /// Active channels (or shard channels) matching an optional pattern.
    pub fn active(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<&Bytes> {
        let t = if shard { &self.shard } else { &self.channels };
        t.keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
            .collect()
    }

    pub fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        let t = if shard { &self.shard } else { &self.channels };
        t.get(channel).map_or(0, |s| s.len())
    }

    /// Active channels, patterns and shard channels (INFO stats).
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.channels.len(), self.patterns.len(), self.shard.len())
    }

    pub fn numpat(&self) -> usize {
        self.patterns.len()
    }

    /// Delivers a message and returns the number of receivers. Frames are
    /// encoded once per protocol (RESP3 only changes the header byte). A
    /// receiver whose unsent output passes `limit` (when not 0) is closed.
    pub fn publish(&self, channel: &[u8], msg: &[u8], shard: bool, limit: usize) -> usize {
        let mut n = 0;
        let direct = if shard { &self.shard } else { &self.channels };
        if let Some(subs) = direct.get(channel) {
            let kind: &[u8] = if shard { b"smessage" } else { b"message" };
            let frame = Frame::new(&[kind, channel, msg]);
            for c in subs.values() {
                frame.send(c, limit);
                n += 1;
            }
        }
        if shard {
            return n;
        }
        for (pat, subs) in &self.patterns {
            if !glob_match(pat, channel, false) {
                continue;
            }
            let frame = Frame::new(&[b"pmessage", pat, channel, msg]);
            for c in subs.values() {
                frame.send(c, limit);
                n += 1;
            }
        }
        n
    }
}

/// A push frame in RESP2 form; RESP3 clients get it with a '>' header.
struct Frame(Vec<u8>);

impl Frame {
    fn new(parts: &[&[u8]]) -> Frame {
        let mut v = Vec::with_capacity(16 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
        let mut b = itoa::Buffer::new();
        v.push(b'*');
        v.extend_from_slice(b.format(parts.len()).as_bytes());
        v.extend_from_slice(b"\r\n");
        for p in parts {
            v.push(b'$');
            v.extend_from_slice(b.format(p.len()).as_bytes());
            v.extend_from_slice(b"\r\n");
            v.extend_from_slice(p);
            v.extend_from_slice(b"\r\n");
        }
        Frame(v)
    }

    fn send(&self, c: &ClientShared, limit: usize) {
        let resp3 = c.meta.lock().resp == 3;
        let mut p = c.pending.lock();
        p.extend_from_slice(if resp3 { b">" } else { b"*" });
        p.extend_from_slice(&self.0[1..]);
        let over = limit > 0 && p.len() > limit;
        drop(p);
        if over && !c.is_killed() {
            tracing::warn!(
                "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                c.id,
                c.addr
            );
            c.pending.lock().clear();
            c.kill();
        } else {
            c.notify.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: u64) -> Arc<ClientShared> {
        ClientShared::new(id, "127.0.0.1:1".into(), "127.0.0.1:2".into(), -1)
    }

    #[test]
    fn subscribe_publish_unsubscribe() {
        let mut ps = PubSub::default();
        let (a, b) = (client(1), client(2));
        let ch = Bytes::from_static(b"news");
        assert!(ps.subscribe(Kind::Channel, &a, &ch));
        assert!(!ps.subscribe(Kind::Channel, &a, &ch));
        assert!(ps.subscribe(Kind::Pattern, &b, &Bytes::from_static(b"n*")));
        assert_eq!(ps.publish(b"news", b"hi", false, 0), 2);
        assert_eq!(
            &a.pending.lock()[..],
            b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            &b.pending.lock()[..],
            b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            ps.publish(b"news", b"hi", true, 0),
            0,
            "shard ignores others"
        );
        assert_eq!(ps.numsub(false, b"news"), 1);
        assert_eq!(ps.numpat(), 1);
        assert!(ps.unsubscribe(Kind::Channel, 1, b"news"));
        assert!(!ps.unsubscribe(Kind::Channel, 1, b"news"));
        assert_eq!(ps.numsub(false, b"news"), 0);
        assert!(ps.active(false, None).is_empty());
        ps.remove_client(2);
        assert_eq!(ps.numpat(), 0);
        assert!(ps.client(2).is_none());
    }

    #[test]
    fn resp3_subscribers_get_push_frames() {
        let ps_client = client(3);
        ps_client.meta.lock().resp = 3;
        let mut ps = PubSub::default();
        ps.subscribe(Kind::Shard, &ps_client, &Bytes::from_static(b"s"));
        assert_eq!(ps.publish(b"s", b"m", true, 0), 1);
        assert_eq!(
            &ps_client.pending.lock()[..],
            b">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nm\r\n"
        );
    }

    #[test]
    fn subscriber_over_the_limit_is_closed() {
        let c = client(4);
        let mut ps = PubSub::default();
        ps.subscribe(Kind::Channel, &c, &Bytes::from_static(b"c"));
        ps.publish(b"c", &[b'x'; 100], false, 150);
        assert!(!c.is_killed());
        ps.publish(b"c", &[b'x'; 100], false, 150);
        assert!(c.is_killed());
    }
}
