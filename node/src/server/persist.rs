//! RDB persistence of the running server: SAVE, BGSAVE (serialization on its
//! own thread from a snapshot taken under the lock), save points driven by
//! the cron, the save on shutdown, and loading at startup or DEBUG RELOAD.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::{Server, State};
use crate::rdb::{self, Aux, Encodings, LoadOpts, Loaded, RdbError, SaveOpts};

/// Saving and loading state behind INFO persistence, LASTSAVE and MISCONF.
#[derive(Debug, Default)]
pub struct Persistence {
    pub bgsave_in_progress: bool,
    /// Unix ms when the running BGSAVE started.
    pub bgsave_started_ms: i64,
    /// BGSAVE SCHEDULE asked while another save ran.
    pub bgsave_scheduled: bool,
    pub last_bgsave_failed: bool,
    pub last_bgsave_time_sec: Option<i64>,
    /// Unix seconds of the last BGSAVE attempt (failed saves retry after 5 s).
    pub last_bgsave_try: i64,
    pub saves: u64,
    /// Keyspace changes when the running BGSAVE took its snapshot.
    pub dirty_at_bgsave: u64,
    pub loading: bool,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
    /// How long the last snapshot held the lock (µs), logged and benchmarked.
    pub last_snapshot_us: u64,
    /// SHUTDOWN already did (or skipped) the final save.
    pub shutdown_handled: bool,
}

/// The file SAVE writes and startup loads: `dbfilename` in `dir` (the
/// process's working directory, as in Redis).
pub fn rdb_path(st: &State) -> PathBuf {
    PathBuf::from(&st.config.dbfilename)
}

/// The AUX fields of a save by this server, with the replication info
/// (rdbPopulateSaveInfo) when it has any, so a restarted replica can
/// continue partially.
pub fn aux_for(st: &State) -> Aux {
    crate::replication::save_info(st)
}

/// Writes `snap` to a temporary file and renames it over `path`, so a
/// failed save never leaves a partial file behind (rdbSave).
fn write_file(path: &PathBuf, snap: &rdb::Snapshot, aux: &Aux) -> std::io::Result<()> {
    let tmp = PathBuf::from(format!("temp-{}.rdb", std::process::id()));
    let res = (|| {
        let f = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        rdb::write(snap, aux, &mut w)?;
        w.flush()?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Takes a snapshot under the lock the caller holds, recording the stall.
fn take_snapshot(st: &mut State) -> rdb::Snapshot {
    let t = Instant::now();
    let snap = rdb::snapshot(
        &st.ks,
        SaveOpts::from_config(&st.config, crate::util::now_ms()),
    );
    st.persist.last_snapshot_us = t.elapsed().as_micros() as u64;
    snap
}

/// SAVE (and the save on shutdown, DEBUG RELOAD): writes the file now, with
/// the lock held, as Redis's SAVE blocks the server.
pub fn save_sync(st: &mut State) -> std::io::Result<()> {
    let snap = take_snapshot(st);
    let aux = aux_for(st);
    let path = rdb_path(st);
    match write_file(&path, &snap, &aux) {
        Ok(()) => {
            tracing::info!("DB saved on disk");
            st.ks.dirty = 0;
            st.lastsave = crate::util::now_ms() / 1000;
            st.persist.last_bgsave_failed = false;
            st.persist.saves += 1;
            Ok(())
        }
        Err(e) => {
            tracing::warn!("Failed saving the DB: {e}");
            Err(e)
        }
    }
}

/// Starts a BGSAVE: the snapshot is taken now, the file written on a thread
/// of its own while clients keep being served.
pub fn start_bgsave(server: &Server, st: &mut State) -> Result<(), String> {
    let Some(srv) = server.me.upgrade() else {
        return Err("server is shutting down".into());
    };
    let snap = take_snapshot(st);
    let aux = aux_for(st);
    let path = rdb_path(st);
    let now = crate::util::now_ms();
    let p = &mut st.persist;
    p.bgsave_in_progress = true;
    p.bgsave_started_ms = now;
    p.last_bgsave_try = now / 1000;
    p.dirty_at_bgsave = st.ks.dirty;
    tracing::info!(
        "Background saving started ({} keys, snapshot took {} ms)",
        snap.key_count(),
        p.last_snapshot_us / 1000
    );
    let spawned = std::thread::Builder::new()
        .name("bgsave".into())
        .spawn(move || {
            let res = write_file(&path, &snap, &aux);
            drop(snap);
            finish_bgsave(&srv, res);
        });
    if let Err(e) = spawned {
        st.persist.bgsave_in_progress = false;
        return Err(format!("Can't save in background: {e}"));
    }
    Ok(())
}

fn finish_bgsave(server: &Arc<Server>, res: std::io::Result<()>) {
    let mut st = server.state.lock();
    let now = crate::util::now_ms();
    let p = &mut st.persist;
    p.bgsave_in_progress = false;
    p.last_bgsave_time_sec = Some((now - p.bgsave_started_ms) / 1000);
    match res {
        Ok(()) => {
            tracing::info!("DB saved on disk");
            tracing::info!("Background saving terminated with success");
            p.last_bgsave_failed = false;
            p.saves += 1;
            let at = p.dirty_at_bgsave;
            st.ks.dirty = st.ks.dirty.saturating_sub(at);
            st.lastsave = now / 1000;
        }
        Err(e) => {
            tracing::warn!("Write error saving DB on disk: {e}");
            tracing::warn!("Background saving error");
            p.last_bgsave_failed = true;
        }
    }
}

/// The cron's part: a scheduled BGSAVE, and the `save` points (seconds,
/// changes), retrying a failed save only after 5 seconds as Redis does.
pub fn cron(server: &Server, st: &mut State) {
    if st.persist.bgsave_in_progress || st.persist.loading {
        return;
    }
    let now = crate::util::now_ms() / 1000;
    if st.persist.bgsave_scheduled {
        st.persist.bgsave_scheduled = false;
        let _ = start_bgsave(server, st);
        return;
    }
    let retry_ok = !st.persist.last_bgsave_failed || now - st.persist.last_bgsave_try > 5;
    if !retry_ok || st.config.save.is_empty() {
        return;
    }
    let points = save_points(&st.config.save);
    let due = points
        .iter()
        .find(|(secs, changes)| st.ks.dirty >= *changes && now - st.lastsave > *secs);
    if let Some((secs, _)) = due {
        tracing::info!("{} changes in {} seconds. Saving...", st.ks.dirty, secs);
        let _ = start_bgsave(server, st);
    }
}

/// The `save` setting as (seconds, changes) pairs.
pub fn save_points(s: &str) -> Vec<(i64, u64)> {
    let v: Vec<&str> = s.split(' ').collect();
    v.chunks_exact(2)
        .filter_map(|p| Some((p[0].parse().ok()?, p[1].parse().ok()?)))
        .collect()
}

/// How the server loads: its encodings, and whether expired keys are dropped.
pub fn load_opts(st: &State) -> LoadOpts {
    LoadOpts {
        enc: Encodings::from_config(&st.config),
        now_ms: crate::util::now_ms(),
        drop_expired: !st.ks.is_replica,
        databases: st.ks.dbs.len(),
        verify_checksum: st.config.rdbchecksum,
    }
}

/// Reads and parses the RDB file (no lock needed). Ok(None) when there is
/// no file.
pub fn read_file(path: &PathBuf, opts: &LoadOpts) -> Result<Option<Loaded>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "Error opening the RDB file {}: {e}",
                path.display()
            ))
        }
    };
    rdb::load(&bytes, opts)
        .map(Some)
        .map_err(|e: RdbError| e.to_string())
}

/// Installs a loaded file into the keyspace (the old data is dropped here).
pub fn install(st: &mut State, loaded: Loaded) {
    st.persist.last_load_keys_loaded = loaded.keys_loaded;
    st.persist.last_load_keys_expired = loaded.keys_expired;
    if loaded.keys_expired > 0 {
        tracing::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            loaded.keys_loaded,
            loaded.keys_expired
        );
    }
    let old = rdb::install(&mut st.ks, loaded);
    drop(old);
}

/// Loads the RDB at startup (the server answers -LOADING meanwhile). A file
/// that does not load stops the server, as in Redis, so it is not
/// overwritten by a later save.
pub async fn load_at_startup(server: Arc<Server>) {
    let (path, opts) = {
        let mut st = server.state.lock();
        st.persist.loading = true;
        (rdb_path(&st), load_opts(&st))
    };
    let t = Instant::now();
    let p = path.clone();
    let res = tokio::task::spawn_blocking(move || read_file(&p, &opts))
        .await
        .unwrap_or_else(|e| Err(format!("loader failed: {e}")));
    let mut st = server.state.lock();
    st.persist.loading = false;
    match res {
        Ok(Some(loaded)) => {
            crate::replication::restore_from_rdb(&mut st, &loaded.aux);
            install(&mut st, loaded);
            tracing::info!(
                "DB loaded from disk: {:.3} seconds",
                t.elapsed().as_secs_f64()
            );
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!("Fatal error loading the DB: {e}. Exiting.");
            drop(st);
            server
                .exit_code
                .store(1, std::sync::atomic::Ordering::SeqCst);
            server.request_shutdown();
        }
    }
}
