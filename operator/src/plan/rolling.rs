//! Rolling update of image, config or resources with OnDelete pods: sentinels one at a
//! time, then the replicas one at a time (highest ordinal first), each ready (= in sync)
//! before the next; then exactly one planned switchover to an updated replica; then the
//! old master, which by then is a replica.

use super::{switchover_in_flight, PendingSwitchover, PodState, Step};

#[derive(Clone, Debug)]
pub struct Input<'a> {
    pub data: &'a [PodState],
    /// The data StatefulSet's status.updateRevision.
    pub data_revision: Option<&'a str>,
    pub sentinels: &'a [PodState],
    pub sentinel_revision: Option<&'a str>,
    pub master: Option<(&'a str, i64)>,
    pub pending: Option<&'a PendingSwitchover>,
}

pub fn next(i: &Input<'_>) -> Step {
    let outdated =
        |p: &PodState, rev: Option<&str>| rev.is_some_and(|r| p.revision.as_deref() != Some(r));
    let data_outdated = i.data.iter().any(|p| outdated(p, i.data_revision));
    let sentinels_outdated = i.sentinels.iter().any(|p| outdated(p, i.sentinel_revision));
    if !data_outdated && !sentinels_outdated {
        return Step::Idle;
    }
    if let Some(p) = i
        .data
        .iter()
        .chain(i.sentinels)
        .find(|p| p.terminating || !p.ready)
    {
        return Step::Wait(format!("rolling update waits for {} to be ready", p.name));
    }
    // Sentinels first: a restarted sentinel rejoins in seconds and keeps the quorum.
    if let Some(p) = highest(
        i.sentinels
            .iter()
            .filter(|p| outdated(p, i.sentinel_revision)),
    ) {
        return Step::RestartPod(p.name.clone());
    }
    let Some((master, epoch)) = i.master else {
        return Step::Wait("rolling update waits for a known master".into());
    };
    if let Some(p) = highest(
        i.data
            .iter()
            .filter(|p| p.name != master && outdated(p, i.data_revision)),
    ) {
        return Step::RestartPod(p.name.clone());
    }
    // Only the master is left on the old revision.
    if i.data.len() == 1 {
        // No replica to switch to: restarting the master is the only way (brief downtime).
        return Step::RestartPod(master.to_string());
    }
    if switchover_in_flight(i.pending, master, epoch) {
        return Step::Wait(format!("waiting for the switchover away from {master}"));
    }
    Step::Switchover {
        from: master.to_string(),
        avoid: vec![],
    }
}

fn highest<'a>(pods: impl Iterator<Item = &'a PodState>) -> Option<&'a PodState> {
    pods.max_by_key(|p| p.ordinal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(prefix: &str, o: i32, rev: &str) -> PodState {
        PodState {
            name: format!("{prefix}-{o}"),
            ordinal: o,
            revision: Some(rev.into()),
            ready: true,
            terminating: false,
        }
    }

    struct World {
        data: Vec<PodState>,
        sentinels: Vec<PodState>,
        master: String,
        epoch: i64,
        pending: Option<PendingSwitchover>,
    }

    impl World {
        fn step(&self) -> Step {
            next(&Input {
                data: &self.data,
                data_revision: Some("new"),
                sentinels: &self.sentinels,
                sentinel_revision: Some("new"),
                master: Some((&self.master, self.epoch)),
                pending: self.pending.as_ref(),
            })
        }
        /// The StatefulSet recreates a deleted pod at the new revision, not ready yet.
        fn restart(&mut self, name: &str) {
            for p in self.data.iter_mut().chain(self.sentinels.iter_mut()) {
                if p.name == name {
                    p.revision = Some("new".into());
                    p.ready = false;
                }
            }
        }
        fn become_ready(&mut self) {
            for p in self.data.iter_mut().chain(self.sentinels.iter_mut()) {
                p.ready = true;
            }
        }
    }

    /// The whole update of a 3-pod set with its master at cache-1, step by step.
    #[test]
    fn full_rolling_update_has_exactly_one_switchover() {
        let mut w = World {
            data: (0..3).map(|o| pod("cache", o, "old")).collect(),
            sentinels: (0..3).map(|o| pod("cache-sentinel", o, "old")).collect(),
            master: "cache-1".into(),
            epoch: 0,
            pending: None,
        };
        let mut log = vec![];
        let mut switchovers = 0;
        for _ in 0..40 {
            let step = w.step();
            log.push(step.clone());
            match step {
                Step::Idle => break,
                Step::RestartPod(p) => w.restart(&p),
                Step::Wait(_) => {
                    if w.pending.is_some() {
                        // The sentinels promote the updated replica with the best offset.
                        w.master = "cache-2".into();
                        w.epoch += 1;
                    } else {
                        w.become_ready();
                    }
                }
                Step::Switchover { from, avoid } => {
                    assert_eq!(from, "cache-1");
                    assert!(avoid.is_empty());
                    switchovers += 1;
                    w.pending = Some(PendingSwitchover {
                        from,
                        epoch: w.epoch,
                    });
                }
                other => panic!("unexpected {other:?}"),
            }
            if w.master == "cache-2" {
                w.pending = None;
            }
        }
        assert_eq!(switchovers, 1, "{log:#?}");
        let restarts: Vec<_> = log
            .iter()
            .filter_map(|s| match s {
                Step::RestartPod(p) => Some(p.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            restarts,
            [
                "cache-sentinel-2",
                "cache-sentinel-1",
                "cache-sentinel-0",
                "cache-2",
                "cache-0",
                "cache-1"
            ]
        );
        assert_eq!(log.last(), Some(&Step::Idle));
    }

    #[test]
    fn waits_for_each_restarted_pod_to_be_ready() {
        let mut data: Vec<_> = (0..3).map(|o| pod("cache", o, "old")).collect();
        data[2].revision = Some("new".into());
        data[2].ready = false;
        let step = next(&Input {
            data: &data,
            data_revision: Some("new"),
            sentinels: &[],
            sentinel_revision: None,
            master: Some(("cache-0", 1)),
            pending: None,
        });
        assert_eq!(
            step,
            Step::Wait("rolling update waits for cache-2 to be ready".into())
        );
    }

    #[test]
    fn up_to_date_set_is_idle_even_with_an_unready_pod() {
        let mut data: Vec<_> = (0..2).map(|o| pod("cache", o, "new")).collect();
        data[1].ready = false;
        let i = Input {
            data: &data,
            data_revision: Some("new"),
            sentinels: &[],
            sentinel_revision: Some("new"),
            master: None,
            pending: None,
        };
        assert_eq!(next(&i), Step::Idle);
    }

    #[test]
    fn lone_master_is_restarted_without_switchover() {
        let data = vec![pod("cache", 0, "old")];
        let i = Input {
            data: &data,
            data_revision: Some("new"),
            sentinels: &[],
            sentinel_revision: None,
            master: Some(("cache-0", 0)),
            pending: None,
        };
        assert_eq!(next(&i), Step::RestartPod("cache-0".into()));
    }

    #[test]
    fn unknown_master_blocks_data_pods_but_not_sentinels() {
        let data: Vec<_> = (0..2).map(|o| pod("cache", o, "old")).collect();
        let sentinels = vec![pod("cache-sentinel", 0, "old")];
        let mut i = Input {
            data: &data,
            data_revision: Some("new"),
            sentinels: &sentinels,
            sentinel_revision: Some("new"),
            master: None,
            pending: None,
        };
        assert_eq!(next(&i), Step::RestartPod("cache-sentinel-0".into()));
        let updated = vec![pod("cache-sentinel", 0, "new")];
        i.sentinels = &updated;
        assert!(matches!(next(&i), Step::Wait(_)));
    }
}
