//! `status`: what the operator observed, for people and for the scale subresource.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Observed state of the set, written by the operator.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RedisReplicaSetStatus {
    /// Overall state: Pending (objects being created), Bootstrapping (the first master is
    /// starting), Ready (master and all replicas ready, sentinels at quorum), Degraded
    /// (serving, but a replica or sentinel is missing or not ready), FailingOver (the
    /// sentinels are moving the master) or Upgrading (a rolling update or a scale-down is
    /// in progress).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,

    /// Name of the pod serving as master, as published by the sentinels in the master
    /// Service's EndpointSlice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,

    /// Number of data pods besides the master that exist (same meaning as
    /// spec.replicas; read by the scale subresource).
    #[serde(default)]
    pub replicas: i32,

    /// Number of ready data pods besides the master.
    #[serde(default)]
    pub ready_replicas: i32,

    /// Number of ready sentinel pods.
    #[serde(default)]
    pub ready_sentinels: i32,

    /// Label selector of the data pods, for the scale subresource (and autoscalers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,

    /// Configuration epoch of the current master, as published by the sentinels: it grows
    /// with every failover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_epoch: Option<i64>,

    /// The most recent change of master the operator observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failover: Option<LastFailover>,

    /// The planned operation in progress, for example "restarting cache-2 (rolling
    /// update)" or "switching over from cache-2 before scaling down". Empty when idle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,

    /// Conditions: Ready, MasterAvailable, ReplicasInSync and SentinelQuorum.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,

    /// The metadata.generation of the spec this status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Overall state of the set: Pending, Bootstrapping, Ready, Degraded, FailingOver or
/// Upgrading.
// No doc comments on the variants: they would make the schema a non-structural oneOf.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Bootstrapping,
    Ready,
    Degraded,
    FailingOver,
    Upgrading,
}

/// A change of master.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LastFailover {
    /// When the operator observed the new master.
    pub time: Time,
    /// The pod that was master before.
    pub from: String,
    /// The pod that became master.
    pub to: String,
    /// The sentinels' configuration epoch of the new master.
    pub config_epoch: i64,
}

/// Condition types the operator sets.
pub mod condition {
    /// Master available, all replicas in sync and the sentinels at quorum.
    pub const READY: &str = "Ready";
    /// A master is published and its pod is ready.
    pub const MASTER_AVAILABLE: &str = "MasterAvailable";
    /// Every replica pod is ready (a replica is ready once its initial sync finished).
    pub const REPLICAS_IN_SYNC: &str = "ReplicasInSync";
    /// At least spec.sentinel.quorum sentinels, and a majority of them, are ready.
    pub const SENTINEL_QUORUM: &str = "SentinelQuorum";
}
