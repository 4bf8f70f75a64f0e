//! The keyspace and its values.

pub mod blocking;
pub mod db;
pub mod dict;
pub mod hash;
pub mod hll;
pub mod key;
pub mod list;
pub mod listpack;
pub mod lpack;
pub mod notify;
pub mod set;
pub mod skiplist;
pub mod value;
pub mod varint;
pub mod watch;
pub mod zpack;
pub mod zset;
