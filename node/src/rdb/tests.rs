//! Round trips of every type and encoding, Redis's own bytes for a real
//! dump, and hostile input (truncation, bit flips) that must fail cleanly.

use super::read::{restore_payload, RestoreError};
use super::write::to_vec;
use super::*;
use crate::store::hash::Hash;
use crate::store::list::{End, List};
use crate::store::set::Set;
use crate::store::value::{Str, Value};
use crate::store::zset::ZSet;

fn dump_payload(v: &Value, compression: bool) -> Vec<u8> {
    let mut c = config();
    c.rdbcompression = compression;
    super::write::dump_payload(v, &SaveOpts::from_config(&c, 0))
}

fn config() -> Config {
    Config::default()
}

fn enc() -> Encodings {
    Encodings::from_config(&config())
}

fn list(items: &[&[u8]]) -> Value {
    let mut l = List::new(-2, 0);
    for i in items {
        l.push(End::Right, i);
    }
    Value::List(l)
}

fn set(items: &[&[u8]]) -> Value {
    let mut s = Set::for_member(items[0]);
    for i in items {
        s.add(i, 512);
    }
    Value::Set(Box::new(s))
}

fn hash(pairs: &[(&[u8], &[u8])]) -> Value {
    let lim = enc().hash;
    let mut h = Hash::new();
    for (f, v) in pairs {
        h.set(f, v, lim);
    }
    Value::Hash(h)
}

fn zset(items: &[(&[u8], f64)]) -> Value {
    let lim = enc().zset;
    let mut z = ZSet::for_first(items[0].0.len(), lim);
    for (m, s) in items {
        z.insert(m, *s, lim);
    }
    Value::ZSet(z)
}

/// One value of every type in every encoding.
fn samples() -> Vec<(&'static str, Value)> {
    let long = vec![b'x'; 100];
    let big: Vec<Vec<u8>> = (0..600)
        .map(|i| format!("member:{i}").into_bytes())
        .collect();
    let big_ref: Vec<&[u8]> = big.iter().map(|v| &v[..]).collect();
    let ints: Vec<Vec<u8>> = (0..600)
        .map(|i| (i * 7 - 100).to_string().into_bytes())
        .collect();
    let ints_ref: Vec<&[u8]> = ints.iter().map(|v| &v[..]).collect();
    let pairs: Vec<(&[u8], &[u8])> = big_ref.iter().map(|m| (*m, *m)).collect();
    let scored: Vec<(&[u8], f64)> = big_ref
        .iter()
        .enumerate()
        .map(|(i, m)| (*m, i as f64 / 3.0))
        .collect();
    let mut v = vec![
        ("int", Value::Str(Str::from_bytes(b"12345"))),
        (
            "bigint",
            Value::Str(Str::from_bytes(b"-9223372036854775808")),
        ),
        ("embstr", Value::Str(Str::from_bytes(b"hello"))),
        ("empty", Value::Str(Str::from_bytes(b""))),
        ("raw-lzf", Value::Str(Str::from_bytes(&[b'a'; 400]))),
        ("padded-int", Value::Str(Str::from_bytes(b"007"))),
        ("list-small", list(&[b"a", b"b", b"1", b"-70000", &long])),
        ("list-big", list(&big_ref)),
        ("set-intset", set(&[b"1", b"2", b"-3", b"70000"])),
        ("set-intset-big", set(&ints_ref[..500])),
        ("set-hash", set(&[b"a", b"b", b"c"])),
        ("set-hash-ints", set(&ints_ref)),
        (
            "hash-lp",
            hash(&[(b"f1", b"v1"), (b"f2", b"2"), (b"", b"")]),
        ),
        ("hash-table", hash(&pairs)),
        ("hash-long-value", hash(&[(b"f", &[b'z'; 100])])),
        (
            "zset-lp",
            zset(&[
                (b"a", 1.0),
                (b"b", 2.5),
                (b"c", -0.1),
                (b"d", f64::INFINITY),
            ]),
        ),
        ("zset-skiplist", zset(&scored)),
    ];
    let mut deep = List::new(-2, 0);
    for i in 0..5000 {
        deep.push(
            End::Left,
            format!("element number {i} with some text").as_bytes(),
        );
    }
    v.push(("list-deque", Value::List(deep)));
    v
}

fn encoding_of(v: &Value) -> &'static str {
    v.encoding()
}

#[test]
fn every_type_round_trips_through_a_file() {
    let mut ks = Keyspace::new(16);
    let now = ks.now_ms;
    for (i, (name, v)) in samples().into_iter().enumerate() {
        ks.set(i % 3, name.as_bytes(), v, false);
    }
    ks.set_expire(0, b"int", now + 100_000);
    ks.set_expire(1, b"bigint", now - 10); // already expired: dropped by a master
    ks.set(15, b"12", Value::Str(Str::from_bytes(b"in db 15")), false);
    for compression in [true, false] {
        let mut c = config();
        c.rdbcompression = compression;
        let snap = snapshot(&ks, SaveOpts::from_config(&c, now));
        let aux = Aux {
            repl_id: "a".repeat(40),
            repl_offset: 12345,
            repl_stream_db: 3,
            ..Aux::default()
        };
        let bytes = to_vec(&snap, &aux);
        assert_eq!(&bytes[..9], b"REDIS0010");
        let opts = LoadOpts {
            enc: enc(),
            now_ms: now,
            drop_expired: true,
            databases: 16,
            verify_checksum: true,
        };
        let loaded = load(&bytes, &opts).unwrap();
        assert_eq!(loaded.aux.repl_id, "a".repeat(40));
        assert_eq!(loaded.aux.repl_offset, 12345);
        assert_eq!(loaded.aux.repl_stream_db, 3);
        assert_eq!(loaded.aux.redis_ver, "7.0.15");
        assert_eq!(loaded.keys_expired, 1);
        let mut ks2 = Keyspace::new(16);
        install(&mut ks2, loaded);
        for (i, (name, v)) in samples().into_iter().enumerate() {
            if name == "bigint" {
                assert!(ks2.dbs[1].dict.get(name.as_bytes()).is_none());
                continue;
            }
            let got = &ks2.dbs[i % 3].dict.get(name.as_bytes()).unwrap().val;
            assert_eq!(got, &v, "{name}");
            assert_eq!(encoding_of(got), encoding_of(&v), "{name}");
        }
        assert_eq!(ks2.get_expire(0, b"int"), Some(now + 100_000));
        assert!(ks2.dbs[15].dict.get(b"12").is_some());
        // A replica keeps the expired key.
        let mut keep = opts;
        keep.drop_expired = false;
        let l = load(&bytes, &keep).unwrap();
        assert_eq!(l.keys_expired, 0);
    }
}

#[test]
fn dump_payload_round_trips_every_encoding() {
    for (name, v) in samples() {
        for compression in [true, false] {
            let p = dump_payload(&v, compression);
            let back = restore_payload(&p, &enc(), true).unwrap().unwrap();
            assert_eq!(back, v, "{name}");
            assert_eq!(back.encoding(), v.encoding(), "{name}");
        }
    }
}

#[test]
fn redis_dump_bytes() {
    // DUMP of a few small values, as redis-server 7.0.15 returns them.
    let p = dump_payload(&Value::Str(Str::from_bytes(b"12345")), true);
    assert_eq!(&p[..3], &[0x00, 0xc1, 0x39]);
    let p = dump_payload(&list(&[b"a", b"b", b"1"]), true);
    assert_eq!(
        &p[..p.len() - 10],
        &[0x12, 0x01, 0x02, 0x0f, 0x0f, 0, 0, 0, 3, 0, 0x81, b'a', 2, 0x81, b'b', 2, 1, 1, 0xff]
    );
    let p = dump_payload(&zset(&[(b"a", 1.0), (b"b", 2.5)]), true);
    assert_eq!(
        &p[..p.len() - 10],
        &[
            0x11, 0x14, 0x14, 0, 0, 0, 4, 0, 0x81, b'a', 2, 1, 1, 0x81, b'b', 2, 0x83, b'2', b'.',
            b'5', 4, 0xff
        ]
    );
}

/// The annotated dump from the protocol notes (a real 7.0.15 full sync).
fn real_dump() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"REDIS0010");
    let aux = |b: &mut Vec<u8>, k: &str, v: &[u8]| {
        b.push(0xfa);
        b.push(k.len() as u8);
        b.extend_from_slice(k.as_bytes());
        b.extend_from_slice(v);
    };
    aux(&mut b, "redis-ver", b"\x067.0.15");
    aux(&mut b, "redis-bits", &[0xc0, 0x40]);
    aux(&mut b, "aof-base", &[0xc0, 0x00]);
    b.extend_from_slice(&[0xfe, 0x00, 0xfb, 0x03, 0x01]);
    b.extend_from_slice(&[0x02, 0x04]);
    b.extend_from_slice(b"sset");
    b.extend_from_slice(&[0x02, 0x01, b'y', 0x01, b'x']);
    b.extend_from_slice(&[0x12, 0x04]);
    b.extend_from_slice(b"list");
    b.extend_from_slice(&[
        0x01, 0x02, 0x0f, 0x0f, 0, 0, 0, 3, 0, 0x81, b'a', 2, 0x81, b'b', 2, 1, 1, 0xff,
    ]);
    b.push(0xfc);
    b.extend_from_slice(&(i64::MAX / 2).to_le_bytes());
    b.extend_from_slice(&[0x00, 0x07]);
    b.extend_from_slice(b"longstr");
    b.extend_from_slice(&[
        0xc3, 0x09, 0x28, 0x01, 0x61, 0x61, 0xe0, 0x1b, 0x00, 0x01, 0x61, 0x61,
    ]);
    b.extend_from_slice(&[0x0b, 0x04]);
    b.extend_from_slice(b"iset");
    b.extend_from_slice(&[0x0e, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0]);
    b.push(0xff);
    let crc = crc64::update(0, &b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

fn load_opts() -> LoadOpts {
    LoadOpts {
        enc: enc(),
        now_ms: crate::util::now_ms(),
        drop_expired: true,
        databases: 16,
        verify_checksum: true,
    }
}

#[test]
fn reads_a_real_dump() {
    let l = load(&real_dump(), &load_opts()).unwrap();
    assert_eq!(l.keys_loaded, 4);
    let db = &l.dbs[0].1;
    assert_eq!(
        db.dict.get(b"longstr").unwrap().val,
        Value::Str(Str::from_bytes(&[b'a'; 40]))
    );
    assert_eq!(db.dict.get(b"list").unwrap().val, list(&[b"a", b"b", b"1"]));
    assert_eq!(db.dict.get(b"iset").unwrap().val.encoding(), "intset");
    assert_eq!(db.dict.get(b"sset").unwrap().val.encoding(), "hashtable");
    assert_eq!(db.expires.len(), 1);
}

#[test]
fn hostile_input_fails_cleanly() {
    let good = real_dump();
    let opts = load_opts();
    for cut in 0..good.len() {
        assert!(load(&good[..cut], &opts).is_err(), "truncated at {cut}");
    }
    // Every single-bit flip is either caught (checksum or parse) or, with the
    // checksum off, parses without panicking.
    let mut unchecked = opts;
    unchecked.verify_checksum = false;
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut b = good.clone();
            b[i] ^= 1 << bit;
            if i < good.len() - 8 {
                assert!(load(&b, &opts).is_err(), "flip at {i}.{bit}");
            }
            let _ = load(&b, &unchecked);
        }
    }
    // DUMP payloads: truncated or flipped ones give one of the two errors.
    for (_, v) in samples().into_iter().take(12) {
        let p = dump_payload(&v, true);
        for cut in 0..p.len() {
            assert!(restore_payload(&p[..cut], &enc(), true).is_err());
        }
        for i in 0..p.len().min(64) {
            let mut b = p.clone();
            b[i] ^= 0x10;
            assert_eq!(
                restore_payload(&b, &enc(), true).unwrap_err(),
                RestoreError::Footer
            );
            let _ = restore_payload(&b, &enc(), false);
        }
    }
    assert_eq!(load(b"REDIS0011", &opts).err(), Some(RdbError::Version(11)));
    assert_eq!(load(b"RADIS0010", &opts).err(), Some(RdbError::Signature));
}

#[test]
fn refuses_what_we_cannot_hold() {
    let mut b = b"REDIS0010".to_vec();
    b.extend_from_slice(&[0xfe, 0x00, 0x13, 0x01, b's']);
    b.extend_from_slice(&[0; 32]);
    assert!(matches!(
        load(&b, &load_opts()),
        Err(RdbError::Unsupported(_))
    ));
    let mut b = b"REDIS0010".to_vec();
    b.extend_from_slice(&[0xfe, 0x20]);
    assert_eq!(load(&b, &load_opts()).err(), Some(RdbError::TooManyDbs(16)));
    let mut b = b"REDIS0010".to_vec();
    b.extend_from_slice(&[0xf5, 0x01, b'x']);
    assert!(matches!(
        load(&b, &load_opts()),
        Err(RdbError::Unsupported(_))
    ));
}

#[test]
fn lru_and_lfu_opcodes() {
    let mut ks = Keyspace::new(1);
    ks.set(0, b"k", Value::Str(Str::from_bytes(b"v")), false);
    let mut c = config();
    c.maxmemory_policy = crate::config::EvictionPolicy::AllkeysLru;
    ks.dbs[0].dict.get_mut(b"k").unwrap().lru = ks.lru_clock().wrapping_sub(100) & LRU_MAX;
    let snap = snapshot(&ks, SaveOpts::from_config(&c, ks.now_ms));
    let bytes = to_vec(&snap, &Aux::default());
    let mut opts = load_opts();
    opts.now_ms = ks.now_ms;
    opts.enc = Encodings::from_config(&c);
    let l = load(&bytes, &opts).unwrap();
    let o = l.dbs[0].1.dict.get(b"k").unwrap();
    assert_eq!(crate::store::db::idle_ms(o.lru, ks.now_ms), 100_000);
    c.maxmemory_policy = crate::config::EvictionPolicy::AllkeysLfu;
    ks.dbs[0].dict.get_mut(b"k").unwrap().lru =
        (crate::store::db::lfu_minutes(ks.now_ms) << 8) | 42;
    let snap = snapshot(&ks, SaveOpts::from_config(&c, ks.now_ms));
    let bytes = to_vec(&snap, &Aux::default());
    opts.enc = Encodings::from_config(&c);
    let l = load(&bytes, &opts).unwrap();
    assert_eq!(l.dbs[0].1.dict.get(b"k").unwrap().lru & 255, 42);
}

const LRU_MAX: u32 = crate::store::db::LRU_CLOCK_MAX;
