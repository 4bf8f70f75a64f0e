//! The status of a set, computed from what was observed: pods, their readiness and the
//! master the sentinels published in the EndpointSlice. Pure, so it is unit-tested
//! without a client.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use rrs_crds::status::condition;
use rrs_crds::{LastFailover, Phase, RedisReplicaSet, RedisReplicaSetStatus};

use crate::names::{self, Names};
use crate::plan::PodState;

/// What the status is computed from.
#[derive(Clone, Debug)]
pub struct Observed<'a> {
    pub data: &'a [PodState],
    pub sentinels: &'a [PodState],
    /// The published master and its config epoch (None before the slice exists).
    pub master: Option<(&'a str, i64)>,
    /// The planned operation in progress, if any.
    pub operation: Option<String>,
    pub now: Time,
}

pub fn compute(rrs: &RedisReplicaSet, o: &Observed<'_>) -> RedisReplicaSetStatus {
    let n = Names::of(rrs);
    let prev = rrs.status.clone().unwrap_or_default();
    let master_name = o.master.map(|(m, _)| m);
    let master_pod = master_name.and_then(|m| o.data.iter().find(|p| p.name == m));
    let master_ready = master_pod.is_some_and(|p| p.ready && !p.terminating);
    let replicas: Vec<_> = o
        .data
        .iter()
        .filter(|p| Some(p.name.as_str()) != master_name)
        .collect();
    let ready_replicas = replicas
        .iter()
        .filter(|p| p.ready && !p.terminating)
        .count() as i32;
    let ready_sentinels = o
        .sentinels
        .iter()
        .filter(|p| p.ready && !p.terminating)
        .count() as i32;
    let s = &rrs.spec.sentinel;
    let needed_sentinels = s.quorum.max(s.replicas / 2 + 1);

    let in_sync = ready_replicas >= rrs.spec.replicas;
    let quorum = ready_sentinels >= needed_sentinels;
    let mut conditions = Vec::new();
    let mut set = |type_: &str, ok: bool, reason: &str, message: String| {
        conditions.push(condition(
            &prev.conditions,
            type_,
            ok,
            reason,
            message,
            rrs,
            &o.now,
        ));
    };
    set(
        condition::MASTER_AVAILABLE,
        master_ready,
        if master_ready {
            "MasterReady"
        } else {
            "MasterNotReady"
        },
        match master_name {
            Some(m) if master_ready => format!("{m} is master and ready"),
            Some(m) => format!("{m} is master but not ready"),
            None => "no master published yet".into(),
        },
    );
    set(
        condition::REPLICAS_IN_SYNC,
        in_sync,
        if in_sync {
            "AllReplicasReady"
        } else {
            "ReplicasNotReady"
        },
        format!("{ready_replicas} of {} replicas ready", rrs.spec.replicas),
    );
    set(
        condition::SENTINEL_QUORUM,
        quorum,
        if quorum {
            "QuorumReady"
        } else {
            "QuorumNotReady"
        },
        format!(
            "{ready_sentinels} of {} sentinels ready, {needed_sentinels} needed",
            s.replicas
        ),
    );
    let ready = master_ready && in_sync && quorum;
    set(
        condition::READY,
        ready,
        if ready { "Ready" } else { "NotReady" },
        if ready {
            "the set serves with all replicas and sentinels".into()
        } else {
            "see the other conditions".into()
        },
    );

    let epoch = o.master.map(|(_, e)| e);
    let phase = if o.data.is_empty() && o.sentinels.is_empty() {
        Phase::Pending
    } else if !master_ready && epoch.unwrap_or(0) == 0 {
        Phase::Bootstrapping
    } else if !master_ready {
        Phase::FailingOver
    } else if o.operation.is_some() {
        Phase::Upgrading
    } else if ready {
        Phase::Ready
    } else {
        Phase::Degraded
    };

    let last_failover = match (prev.master.as_deref(), o.master) {
        (Some(from), Some((to, epoch))) if from != to => Some(LastFailover {
            time: o.now.clone(),
            from: from.to_string(),
            to: to.to_string(),
            config_epoch: epoch,
        }),
        _ => prev.last_failover.clone(),
    };

    RedisReplicaSetStatus {
        phase: Some(phase),
        master: master_name.map(str::to_string).or(prev.master),
        replicas: replicas.len() as i32,
        ready_replicas,
        ready_sentinels,
        selector: Some(names::selector_string(&names::selector_labels(
            &n,
            names::COMPONENT_DATA,
        ))),
        config_epoch: epoch.or(prev.config_epoch),
        last_failover,
        operation: o.operation.clone(),
        conditions,
        observed_generation: rrs.metadata.generation,
    }
}

/// A condition, keeping the previous transition time when its status did not change.
fn condition(
    prev: &[Condition],
    type_: &str,
    ok: bool,
    reason: &str,
    message: String,
    rrs: &RedisReplicaSet,
    now: &Time,
) -> Condition {
    let status = if ok { "True" } else { "False" };
    let last_transition_time = prev
        .iter()
        .find(|c| c.type_ == type_ && c.status == status)
        .map(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| now.clone());
    Condition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.into(),
        message,
        last_transition_time,
        observed_generation: rrs.metadata.generation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builders::testutil::cache;
    use k8s_openapi::jiff::Timestamp;

    fn pods(prefix: &str, n: i32, ready: bool) -> Vec<PodState> {
        (0..n)
            .map(|o| PodState {
                name: format!("{prefix}-{o}"),
                ordinal: o,
                revision: None,
                ready,
                terminating: false,
            })
            .collect()
    }

    fn at(secs: i64) -> Time {
        Time(Timestamp::from_second(secs).expect("valid time"))
    }

    fn cond<'a>(s: &'a RedisReplicaSetStatus, t: &str) -> &'a Condition {
        s.conditions
            .iter()
            .find(|c| c.type_ == t)
            .expect("condition present")
    }

    #[test]
    fn nothing_yet_is_pending() {
        let s = compute(
            &cache(),
            &Observed {
                data: &[],
                sentinels: &[],
                master: None,
                operation: None,
                now: at(1),
            },
        );
        assert_eq!(s.phase, Some(Phase::Pending));
        assert_eq!(s.observed_generation, Some(1));
        assert_eq!(
            s.selector.as_deref(),
            Some("app.kubernetes.io/component=data,app.kubernetes.io/instance=cache,app.kubernetes.io/name=rrs")
        );
    }

    #[test]
    fn bootstrapping_until_pod_zero_is_ready_then_ready() {
        let rrs = cache();
        let data = pods("cache", 3, false);
        let sentinels = pods("cache-sentinel", 3, true);
        let o = Observed {
            data: &data,
            sentinels: &sentinels,
            master: Some(("cache-0", 0)),
            operation: None,
            now: at(1),
        };
        assert_eq!(compute(&rrs, &o).phase, Some(Phase::Bootstrapping));
        let data = pods("cache", 3, true);
        let s = compute(&rrs, &Observed { data: &data, ..o });
        assert_eq!(s.phase, Some(Phase::Ready));
        assert_eq!((s.replicas, s.ready_replicas, s.ready_sentinels), (2, 2, 3));
        assert_eq!(s.master.as_deref(), Some("cache-0"));
        assert_eq!(cond(&s, "Ready").status, "True");
    }

    #[test]
    fn failover_moves_master_and_records_it() {
        let mut rrs = cache();
        let data = pods("cache", 3, true);
        let sentinels = pods("cache-sentinel", 3, true);
        let before = compute(
            &rrs,
            &Observed {
                data: &data,
                sentinels: &sentinels,
                master: Some(("cache-0", 0)),
                operation: None,
                now: at(1),
            },
        );
        rrs.status = Some(before.clone());
        // cache-0 died; the sentinels published cache-2 at epoch 1.
        let mut data2 = data.clone();
        data2[0].ready = false;
        let after = compute(
            &rrs,
            &Observed {
                data: &data2,
                sentinels: &sentinels,
                master: Some(("cache-2", 1)),
                operation: None,
                now: at(9),
            },
        );
        assert_eq!(after.master.as_deref(), Some("cache-2"));
        assert_eq!(after.config_epoch, Some(1));
        let lf = after.last_failover.as_ref().expect("recorded");
        assert_eq!(
            (lf.from.as_str(), lf.to.as_str(), lf.config_epoch, &lf.time),
            ("cache-0", "cache-2", 1, &at(9))
        );
        assert_eq!(after.phase, Some(Phase::Degraded));
        assert_eq!(cond(&after, "ReplicasInSync").status, "False");
        // MasterAvailable stayed True: its transition time is the first one.
        assert_eq!(cond(&after, "MasterAvailable").last_transition_time, at(1));
        assert_eq!(cond(&after, "ReplicasInSync").last_transition_time, at(9));
    }

    #[test]
    fn unready_published_master_after_bootstrap_is_failing_over() {
        let data = pods("cache", 3, false);
        let sentinels = pods("cache-sentinel", 3, true);
        let s = compute(
            &cache(),
            &Observed {
                data: &data,
                sentinels: &sentinels,
                master: Some(("cache-1", 4)),
                operation: None,
                now: at(1),
            },
        );
        assert_eq!(s.phase, Some(Phase::FailingOver));
    }

    #[test]
    fn operation_in_progress_is_upgrading_and_sentinel_quorum_counts_majority() {
        let data = pods("cache", 3, true);
        let sentinels = pods("cache-sentinel", 1, true);
        let s = compute(
            &cache(),
            &Observed {
                data: &data,
                sentinels: &sentinels,
                master: Some(("cache-0", 0)),
                operation: Some("restarting cache-2 (rolling update)".into()),
                now: at(1),
            },
        );
        assert_eq!(s.phase, Some(Phase::Upgrading));
        assert_eq!(cond(&s, "SentinelQuorum").status, "False");
        assert_eq!(
            s.operation.as_deref(),
            Some("restarting cache-2 (rolling update)")
        );
    }
}
