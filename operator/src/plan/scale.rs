//! Scaling the data pods. Up: just more pods. Down: never remove the master: if it has
//! an ordinal that would go, switch over first (to a pod that stays), then shrink the
//! StatefulSet, then `SENTINEL RESET` so the sentinels forget the removed replicas.

use super::{switchover_in_flight, PendingSwitchover, PodState, Step};

/// What the scale machine looks at.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    /// spec.replicas + 1.
    pub desired_pods: i32,
    /// The data StatefulSet's current spec.replicas (None before it exists).
    pub current_pods: Option<i32>,
    /// Data pods that exist.
    pub pods: &'a [PodState],
    /// The published master and its config epoch.
    pub master: Option<(&'a str, i64)>,
    /// How many replicas the sentinels know (the most any sentinel reports), if asked.
    pub sentinel_known_replicas: Option<usize>,
    pub pending: Option<&'a PendingSwitchover>,
}

pub fn next(i: &Input<'_>) -> Step {
    let Some(current) = i.current_pods else {
        return Step::ScaleDataTo(i.desired_pods);
    };
    if i.desired_pods > current {
        return Step::ScaleDataTo(i.desired_pods);
    }
    if i.desired_pods < current {
        let Some((master, epoch)) = i.master else {
            return Step::Wait("scale-down waits for a known master".into());
        };
        let master_ordinal = i.pods.iter().find(|p| p.name == master).map(|p| p.ordinal);
        return match master_ordinal {
            Some(o) if o >= i.desired_pods => {
                if switchover_in_flight(i.pending, master, epoch) {
                    Step::Wait(format!(
                        "waiting for the switchover away from {master} before scaling down"
                    ))
                } else {
                    let avoid = i
                        .pods
                        .iter()
                        .filter(|p| p.ordinal >= i.desired_pods)
                        .map(|p| p.name.clone())
                        .collect();
                    Step::Switchover {
                        from: master.to_string(),
                        avoid,
                    }
                }
            }
            // The master stays; with no master pod observed, wait rather than guess.
            Some(_) => Step::ScaleDataTo(i.desired_pods),
            None => Step::Wait(format!("scale-down waits for the master pod {master}")),
        };
    }
    if i.pods.iter().any(|p| p.ordinal >= i.desired_pods) {
        return Step::Wait("waiting for removed data pods to terminate".into());
    }
    match i.sentinel_known_replicas {
        Some(known) if known > (i.desired_pods - 1).max(0) as usize => Step::SentinelReset,
        _ => Step::Idle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods(n: i32) -> Vec<PodState> {
        (0..n)
            .map(|o| PodState {
                name: format!("cache-{o}"),
                ordinal: o,
                revision: Some("r1".into()),
                ready: true,
                terminating: false,
            })
            .collect()
    }

    fn input<'a>(
        desired: i32,
        current: Option<i32>,
        pods: &'a [PodState],
        master: &'a str,
    ) -> Input<'a> {
        Input {
            desired_pods: desired,
            current_pods: current,
            pods,
            master: Some((master, 3)),
            sentinel_known_replicas: Some(pods.len().saturating_sub(1)),
            pending: None,
        }
    }

    #[test]
    fn creates_then_scales_up() {
        let p = pods(0);
        assert_eq!(next(&input(3, None, &p, "cache-0")), Step::ScaleDataTo(3));
        let p = pods(3);
        assert_eq!(
            next(&input(5, Some(3), &p, "cache-0")),
            Step::ScaleDataTo(5)
        );
        assert_eq!(next(&input(3, Some(3), &p, "cache-0")), Step::Idle);
    }

    #[test]
    fn scale_down_with_a_low_master_shrinks_directly() {
        let p = pods(5);
        assert_eq!(
            next(&input(3, Some(5), &p, "cache-1")),
            Step::ScaleDataTo(3)
        );
    }

    /// Master at the highest ordinal: switch over (avoiding every pod that goes), wait
    /// for it, shrink, wait for the pods to go, reset the sentinels, idle.
    #[test]
    fn scale_down_with_the_master_on_top_switches_over_first() {
        let p = pods(5);
        let step = next(&input(3, Some(5), &p, "cache-4"));
        assert_eq!(
            step,
            Step::Switchover {
                from: "cache-4".into(),
                avoid: vec!["cache-3".into(), "cache-4".into()]
            }
        );
        // Requested; the sentinels have not switched yet.
        let pending = PendingSwitchover {
            from: "cache-4".into(),
            epoch: 3,
        };
        let mut i = input(3, Some(5), &p, "cache-4");
        i.pending = Some(&pending);
        assert!(matches!(next(&i), Step::Wait(_)));
        // The switch landed on cache-1 at epoch 4.
        let mut i = input(3, Some(5), &p, "cache-1");
        i.master = Some(("cache-1", 4));
        i.pending = Some(&pending);
        assert_eq!(next(&i), Step::ScaleDataTo(3));
        // Shrunk; cache-3 and cache-4 still terminating.
        let mut i = input(3, Some(3), &p, "cache-1");
        i.master = Some(("cache-1", 4));
        assert!(matches!(next(&i), Step::Wait(_)));
        // Gone, but the sentinels still count 4 replicas.
        let p3 = pods(3);
        let mut i = input(3, Some(3), &p3, "cache-1");
        i.sentinel_known_replicas = Some(4);
        assert_eq!(next(&i), Step::SentinelReset);
        i.sentinel_known_replicas = Some(2);
        assert_eq!(next(&i), Step::Idle);
    }

    #[test]
    fn scale_down_without_a_known_master_waits() {
        let p = pods(3);
        let mut i = input(1, Some(3), &p, "cache-0");
        i.master = None;
        assert!(matches!(next(&i), Step::Wait(_)));
        // A master named in the slice but with no pod: wait, do not shrink blindly.
        let i = input(1, Some(3), &p, "cache-9");
        assert!(matches!(next(&i), Step::Wait(_)));
    }

    #[test]
    fn a_new_epoch_allows_a_second_switchover() {
        // A later failover (epoch 5) put the master back on the top ordinal: the old
        // request, made at epoch 3, no longer holds a new switchover back.
        let p = pods(5);
        let pending = PendingSwitchover {
            from: "cache-4".into(),
            epoch: 3,
        };
        let mut i = input(3, Some(5), &p, "cache-4");
        i.master = Some(("cache-4", 5));
        i.pending = Some(&pending);
        assert!(matches!(next(&i), Step::Switchover { .. }));
    }

    #[test]
    fn scale_to_zero_replicas_keeps_the_master() {
        let p = pods(3);
        assert_eq!(
            next(&input(1, Some(3), &p, "cache-2")),
            Step::Switchover {
                from: "cache-2".into(),
                avoid: vec!["cache-1".into(), "cache-2".into()]
            }
        );
    }
}
