//! `spec.sentinel`: the sentinel group that watches the master and fails over.

use k8s_openapi::api::core::v1::ResourceRequirements;
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// The sentinels that watch the master and elect a new one when it fails. They run the
/// same node image in sentinel mode, in their own StatefulSet <name>-sentinel, and
/// monitor this set under the group name <namespace>.<name>.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.quorum <= self.replicas").message(Message::Expression(
    "'sentinel.quorum is ' + string(self.quorum) + ' but there are only ' + string(self.replicas) + ' sentinels: set sentinel.quorum between 1 and ' + string(self.replicas) + ', or raise sentinel.replicas'".into()
)))]
pub struct SentinelSpec {
    /// Number of sentinel pods. Use an odd number (3 or 5): a failover needs a majority
    /// of all sentinels to authorize it, so 2 sentinels tolerate no sentinel failure.
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 1, max = 15))]
    pub replicas: i32,

    /// Number of sentinels that must agree the master is unreachable before a failover
    /// starts (the objectively-down state). Between 1 and sentinel.replicas; the failover
    /// itself still needs a majority of all sentinels.
    #[serde(default = "default_quorum")]
    #[schemars(range(min = 1))]
    pub quorum: i32,

    /// Milliseconds the master may go without a valid reply before a sentinel considers
    /// it down (sentinel down-after-milliseconds).
    #[serde(default = "default_down_after")]
    #[schemars(range(min = 100))]
    pub down_after_milliseconds: i64,

    /// Milliseconds a sentinel waits before retrying a failover of the same master, and
    /// the limit for replicas to follow a new master (sentinel failover-timeout).
    #[serde(default = "default_failover_timeout")]
    #[schemars(range(min = 1000))]
    pub failover_timeout_milliseconds: i64,

    /// Number of replicas that re-synchronize with a new master at the same time after a
    /// failover (sentinel parallel-syncs). Lower values keep more replicas serving reads
    /// during the re-sync.
    #[serde(default = "default_parallel_syncs")]
    #[schemars(range(min = 1))]
    pub parallel_syncs: i32,

    /// CPU and memory requests and limits of each sentinel container. Sentinels are
    /// light: a few millicores and tens of MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

fn default_replicas() -> i32 {
    3
}
fn default_quorum() -> i32 {
    2
}
fn default_down_after() -> i64 {
    5000
}
fn default_failover_timeout() -> i64 {
    60000
}
fn default_parallel_syncs() -> i32 {
    1
}

impl Default for SentinelSpec {
    fn default() -> Self {
        Self {
            replicas: default_replicas(),
            quorum: default_quorum(),
            down_after_milliseconds: default_down_after(),
            failover_timeout_milliseconds: default_failover_timeout(),
            parallel_syncs: default_parallel_syncs(),
            resources: None,
        }
    }
}
