//! Keyspace notifications (notify-keyspace-events): the event classes, the
//! parsed flag set, and the queue of events raised while a command runs.
//!
//! Events are queued rather than published on the spot because the keyspace
//! raises some of them itself (`expired` on lazy expiry, `new` when a key is
//! created) and has no access to the pub/sub registry. The queue keeps the one
//! order Redis publishes in; `pubsub::publish_notifications` drains it after
//! each command and each cron tick. With notifications off (`flags == 0`) an
//! event costs one branch and nothing is queued.

/// The event classes, as Redis's NOTIFY_* bits.
pub mod class {
    /// K: publish on `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: u32 = 1 << 0;
    /// E: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: u32 = 1 << 1;
    /// g: DEL, EXPIRE, RENAME... (type independent).
    pub const GENERIC: u32 = 1 << 2;
    /// $
    pub const STRING: u32 = 1 << 3;
    /// l
    pub const LIST: u32 = 1 << 4;
    /// s
    pub const SET: u32 = 1 << 5;
    /// h
    pub const HASH: u32 = 1 << 6;
    /// z
    pub const ZSET: u32 = 1 << 7;
    /// x: a key deleted because its TTL passed.
    pub const EXPIRED: u32 = 1 << 8;
    /// e: a key evicted for maxmemory.
    pub const EVICTED: u32 = 1 << 9;
    /// t
    pub const STREAM: u32 = 1 << 10;
    /// m: a read of a missing key.
    pub const KEY_MISS: u32 = 1 << 11;
    /// d: module events.
    pub const MODULE: u32 = 1 << 13;
    /// n: a key was created.
    pub const NEW: u32 = 1 << 14;
    /// A: every class but m and n.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// keyspaceEventsStringToFlags. None for a character outside the classes
/// (the setting's validation rejects those before this runs).
pub fn parse_flags(s: &[u8]) -> Option<u32> {
    let mut f = 0;
    for &c in s {
        f |= match c {
            b'A' => class::ALL,
            b'g' => class::GENERIC,
            b'$' => class::STRING,
            b'l' => class::LIST,
            b's' => class::SET,
            b'h' => class::HASH,
            b'z' => class::ZSET,
            b'x' => class::EXPIRED,
            b'e' => class::EVICTED,
            b'K' => class::KEYSPACE,
            b'E' => class::KEYEVENT,
            b't' => class::STREAM,
            b'm' => class::KEY_MISS,
            b'd' => class::MODULE,
            b'n' => class::NEW,
            _ => return None,
        };
    }
    Some(f)
}

/// The flags the hot path tests: zero unless at least one class and one of
/// K/E are set, since nothing is published otherwise.
pub fn effective_flags(f: u32) -> u32 {
    let channels = f & (class::KEYSPACE | class::KEYEVENT);
    if channels == 0 || f & !(class::KEYSPACE | class::KEYEVENT) == 0 {
        0
    } else {
        f
    }
}

/// One event waiting to be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub event: &'static str,
    pub db: usize,
    pub key: Vec<u8>,
}

/// The parsed setting and the events of the running command.
#[derive(Default)]
pub struct Notifications {
    pub flags: u32,
    pub queue: Vec<Event>,
}

impl Notifications {
    /// Queues `event` on `key` when its class is enabled.
    #[inline]
    pub fn push(&mut self, class: u32, event: &'static str, db: usize, key: &[u8]) {
        if self.flags & class != 0 {
            self.queue.push(Event {
                event,
                db,
                key: key.to_vec(),
            });
        }
    }

    /// Whether events of `class` are published (to skip work for them).
    #[inline]
    pub fn wants(&self, class: u32) -> bool {
        self.flags & class != 0
    }
}

/// The two channels of an event: `__keyspace@<db>__:<key>` (message: the
/// event name) and `__keyevent@<db>__:<event>` (message: the key), each when
/// its flag is set, in that order.
pub fn channels(flags: u32, e: &Event) -> [Option<(Vec<u8>, &[u8])>; 2] {
    let space = (flags & class::KEYSPACE != 0).then(|| {
        let mut ch = format!("__keyspace@{}__:", e.db).into_bytes();
        ch.extend_from_slice(&e.key);
        (ch, e.event.as_bytes())
    });
    let event = (flags & class::KEYEVENT != 0).then(|| {
        let ch = format!("__keyevent@{}__:{}", e.db, e.event).into_bytes();
        (ch, &e.key[..])
    });
    [space, event]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_class() {
        assert_eq!(parse_flags(b""), Some(0));
        assert_eq!(
            parse_flags(b"KEA"),
            Some(class::KEYSPACE | class::KEYEVENT | class::ALL)
        );
        assert_eq!(
            parse_flags(b"g$lshzxetmdnKE"),
            Some(class::ALL | class::KEY_MISS | class::NEW | class::KEYSPACE | class::KEYEVENT)
        );
        assert_eq!(parse_flags(b"Kq"), None);
        assert_eq!(class::ALL & (class::KEY_MISS | class::NEW), 0);
    }

    fn effective(s: &str) -> u32 {
        effective_flags(parse_flags(s.as_bytes()).unwrap_or(0))
    }

    #[test]
    fn needs_a_channel_and_a_class() {
        assert_eq!(effective(""), 0);
        assert_eq!(effective("A"), 0, "no K or E: nothing is published");
        assert_eq!(effective("KE"), 0, "no class: nothing is published");
        assert_eq!(effective("lE"), class::LIST | class::KEYEVENT);
        assert_eq!(effective("AKE"), class::ALL | 3);
        assert_eq!(effective("KEAn"), class::ALL | class::NEW | 3);
    }

    #[test]
    fn filters_by_class() {
        let mut n = Notifications {
            flags: effective("lxE"),
            ..Default::default()
        };
        n.push(class::LIST, "lpush", 0, b"l");
        n.push(class::STRING, "set", 0, b"s");
        n.push(class::GENERIC, "del", 0, b"l");
        n.push(class::EXPIRED, "expired", 3, b"x");
        n.push(class::NEW, "new", 0, b"n");
        let got: Vec<_> = n.queue.iter().map(|e| (e.event, e.db)).collect();
        assert_eq!(got, vec![("lpush", 0), ("expired", 3)]);
        assert!(n.wants(class::LIST) && !n.wants(class::KEY_MISS));
    }

    #[test]
    fn channel_names() {
        let e = Event {
            event: "set",
            db: 12,
            key: b"k:1".to_vec(),
        };
        let both = channels(class::KEYSPACE | class::KEYEVENT | class::STRING, &e);
        assert_eq!(
            both[0],
            Some((b"__keyspace@12__:k:1".to_vec(), &b"set"[..]))
        );
        assert_eq!(
            both[1],
            Some((b"__keyevent@12__:set".to_vec(), &b"k:1"[..]))
        );
        let only_e = channels(class::KEYEVENT | class::STRING, &e);
        assert!(only_e[0].is_none() && only_e[1].is_some());
    }
}
