//! serverCron: runs `hz` times a second for the active expiry cycle, incremental
//! rehashing, idle-client timeouts, eviction and the instantaneous metrics.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::Server;

pub async fn run(server: Arc<Server>) {
    let mut last_metrics = 0i64;
    loop {
        let hz = server.state.lock().config.hz.clamp(1, 500) as u64;
        tokio::time::sleep(Duration::from_millis(1000 / hz)).await;
        if server.shutting_down.load(Ordering::SeqCst) {
            return;
        }
        let mut st = server.state.lock();
        let now = crate::util::now_ms();
        st.ks.now_ms = now;
        // ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC (25%) of each tick, scaled by effort.
        let effort = st.config.active_expire_effort.clamp(1, 10) as u64;
        let budget_us = 1_000_000 * (25 + 2 * (effort - 1)) / hz / 100;
        // A CLIENT PAUSE ends by itself at its deadline; while it lasts the
        // dataset must not change, so neither expiry nor eviction runs.
        if st.pause.is_some_and(|(until, _)| until <= now) {
            st.pause = None;
            st.ks.expire_paused = false;
            server.unpaused.notify_waiters();
        }
        let paused = st.pause.is_some();
        if st.ks.active_expire_enabled && !paused {
            st.ks.active_expire_cycle(budget_us);
        }
        crate::replication::propagate_removed(&mut st);
        if st.config.activerehashing {
            st.ks.rehash_cron(100);
        }
        if st.config.maxmemory > 0 && !paused {
            crate::commands::evict::perform_evictions(&mut st);
            crate::replication::propagate_removed(&mut st);
        }
        crate::replication::master::cron(&mut st, now);
        crate::commands::pubsub::publish_notifications(&mut st);
        super::persist::cron(&server, &mut st);
        if now - last_metrics >= 100 {
            last_metrics = now;
            let cmds = st.stats.total_commands_processed;
            st.stats.ops_rate.sample(cmds, now);
            let (mut inb, mut outb) = (0, 0);
            for c in st.clients.values() {
                inb += c.net_in.load(Ordering::Relaxed);
                outb += c.net_out.load(Ordering::Relaxed);
            }
            let net_in = st.stats.net_input_bytes + inb;
            let net_out = st.stats.net_output_bytes + outb;
            st.stats.net_in_rate.sample(net_in, now);
            st.stats.net_out_rate.sample(net_out, now);
        }
        let timeout = st.config.timeout;
        if timeout > 0 {
            for c in st.clients.values() {
                let idle = now - c.last_interaction_ms.load(Ordering::Relaxed);
                let exempt = {
                    let m = c.meta.lock();
                    m.blocked || m.sub + m.psub + m.ssub > 0 || m.monitor
                };
                if idle > timeout * 1000 && !exempt {
                    c.kill();
                }
            }
        }
    }
}
