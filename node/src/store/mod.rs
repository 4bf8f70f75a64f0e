//! The keyspace and its values.

pub mod blocking;
pub mod db;
pub mod dict;
pub mod hash;
pub mod key;
pub mod list;
pub mod listpack;
pub mod set;
pub mod skiplist;
pub mod value;
pub mod watch;
pub mod zset;
