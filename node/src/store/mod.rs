//! The keyspace and its values.

pub mod db;
pub mod dict;
pub mod key;
pub mod skiplist;
pub mod value;
pub mod zset;
