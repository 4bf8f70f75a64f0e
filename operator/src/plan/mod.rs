//! Planned operations as pure state machines: each reconcile observes the set, asks
//! [`scale::next`] and then [`rolling::next`] for the one next step, and performs it.
//! They keep no state of their own: everything they need is observed (pods, revisions,
//! the published master) plus the one switchover the operator has asked for and not
//! yet seen happen.

pub mod rolling;
pub mod scale;

/// One observed data or sentinel pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodState {
    pub name: String,
    pub ordinal: i32,
    /// The StatefulSet revision the pod was created from (controller-revision-hash).
    pub revision: Option<String>,
    /// Ready: for a data pod, serving as master or a replica whose initial sync is done.
    pub ready: bool,
    /// Being deleted (deletionTimestamp set).
    pub terminating: bool,
}

/// A switchover the operator requested: from this master, at this config epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSwitchover {
    pub from: String,
    pub epoch: i64,
}

/// The next thing to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing to do.
    Idle,
    /// Wait for something to happen (a pod to become ready, a switchover to land).
    Wait(String),
    /// Set the data StatefulSet to this many pods.
    ScaleDataTo(i32),
    /// Ask the sentinels for a planned switchover away from `from`; the pods in `avoid`
    /// must not be chosen (they get replica-priority 0 first).
    Switchover { from: String, avoid: Vec<String> },
    /// Make the sentinels forget replicas that no longer exist (SENTINEL RESET).
    SentinelReset,
    /// Delete (restart) this pod so the StatefulSet recreates it at the new revision.
    RestartPod(String),
}

impl Step {
    /// A short description for status.operation and events; None when idle.
    pub fn describe(&self) -> Option<String> {
        match self {
            Step::Idle => None,
            Step::Wait(why) => Some(why.clone()),
            Step::ScaleDataTo(n) => Some(format!("scaling the data pods to {n}")),
            Step::Switchover { from, .. } => Some(format!("switching over from {from}")),
            Step::SentinelReset => Some("resetting the sentinels' replica lists".into()),
            Step::RestartPod(p) => Some(format!("restarting {p} (rolling update)")),
        }
    }
}

/// Whether `pending` still describes a switchover in flight for `master` at `epoch`.
pub fn switchover_in_flight(pending: Option<&PendingSwitchover>, master: &str, epoch: i64) -> bool {
    pending.is_some_and(|p| p.from == master && p.epoch == epoch)
}
