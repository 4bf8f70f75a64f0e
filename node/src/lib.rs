//! rrs-node: a Redis 7.0-compatible server.
//!
//! - [`resp`]: request decoding and reply encoding (RESP2/RESP3, inline).
//! - [`server`]: listeners, connection tasks, the shared state behind one lock, cron.
//! - [`commands`]: the command table (data) and the handlers, one module per family.
//! - [`store`]: the keyspace: hash table, values, expiry.
//! - [`config`]: the settings registry behind redis.conf and CONFIG.
//! - [`rdb`]: RDB snapshots: the writer, the reader, DUMP/RESTORE payloads.
//! - [`replication`]: propagation, the backlog, the master and replica sides.
//! - [`cli`]: the `rrs-node` command line (redis-server compatible argv).

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod cli;
pub mod commands;
pub mod config;
pub mod logging;
pub mod rdb;
pub mod replication;
pub mod resp;
pub mod server;
pub mod store;
pub mod util;

/// The Redis version we are compatible with, reported by HELLO and INFO so
/// clients enable the same features they would against redis-server.
pub const REDIS_VERSION: &str = "7.0.15";

/// jemalloc, as redis-server uses: its size classes cost about 20% less memory
/// per small key than glibc malloc here. The `cap` wrapper counts every
/// allocation so INFO `used_memory` and maxmemory see real numbers, like
/// Redis's zmalloc counter.
#[global_allocator]
static ALLOC: cap::Cap<tikv_jemallocator::Jemalloc> =
    cap::Cap::new(tikv_jemallocator::Jemalloc, usize::MAX);

/// Bytes currently allocated by the process.
pub fn used_memory() -> usize {
    ALLOC.allocated()
}
