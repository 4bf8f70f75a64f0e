//! `RedisReplicaSet` and its spec: the CRD's names, columns, subresources and rules.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use crate::{config_keys, AuthSpec, ImagePullPolicy, PersistenceSpec, PodTemplate, SentinelSpec};

/// Longest allowed RedisReplicaSet name. The sentinel StatefulSet is <name>-sentinel,
/// and a StatefulSet's name plus -<10-character revision hash> must fit the 63
/// characters of the controller-revision-hash label: 43 + 9 + 11 = 63.
pub const MAX_NAME_LEN: usize = 43;

/// Desired state of the set: how many replicas, which image and settings, the
/// sentinels, the password and the volumes.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "rrs.dev",
    version = "v1alpha1",
    kind = "RedisReplicaSet",
    plural = "redisreplicasets",
    shortname = "rrs",
    namespaced,
    status = "crate::RedisReplicaSetStatus",
    derive = "PartialEq",
    doc = "A Redis-compatible master/replica set with sentinel failover. The master is the Service <name>, replicas are <name>-replicas, sentinels are <name>-sentinel:26379 with master group <namespace>.<name>.",
    scale(
        spec_replicas_path = ".spec.replicas",
        status_replicas_path = ".status.replicas",
        label_selector_path = ".status.selector"
    ),
    printcolumn(name = "Master", type_ = "string", json_path = ".status.master", description = "The pod serving as master"),
    printcolumn(name = "Replicas", type_ = "integer", json_path = ".spec.replicas", description = "Desired replicas besides the master"),
    printcolumn(name = "Ready", type_ = "integer", json_path = ".status.readyReplicas", description = "Ready replicas besides the master"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase", description = "Overall state of the set"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    validation = Rule::new("self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')").message(
        "metadata.name must start with a lowercase letter and contain only lowercase letters, digits and '-': it also names the Services of the set"
    ),
    validation = Rule::new("size(self.metadata.name) <= 43").message(
        "metadata.name must be at most 43 characters: the sentinel StatefulSet <name>-sentinel and its pods' revision label must fit in 63"
    ),
)]
#[x_kube(validation = Rule::new("self.minReplicasToWrite <= self.replicas").message(Message::Expression(
    "'minReplicasToWrite is ' + string(self.minReplicasToWrite) + ' but there are only ' + string(self.replicas) + ' replicas, so the master would refuse every write: lower minReplicasToWrite or raise replicas'".into()
)))]
#[serde(rename_all = "camelCase")]
pub struct RedisReplicaSetSpec {
    /// Number of replicas besides the master: 2 gives three data pods. Scaling down
    /// never removes the master; if the master has the highest ordinal, the operator
    /// first switches over to another pod.
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 0, max = 100))]
    pub replicas: i32,

    /// Container image of the data and sentinel pods (the rrs-node image). Empty uses
    /// the image matching the operator's version. Changing it rolls the pods: replicas
    /// first, one at a time, then one switchover, then the old master.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(max = 1024))]
    pub image: String,

    /// When the kubelet pulls the image: Always, IfNotPresent or Never. Empty uses the
    /// Kubernetes default (Always for the tag latest, IfNotPresent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<ImagePullPolicy>,

    /// The sentinels that watch the master and fail over.
    #[serde(default)]
    pub sentinel: SentinelSpec,

    /// The password of the set.
    #[serde(default)]
    pub auth: AuthSpec,

    /// Volume claims of the data pods. Cannot be changed after creation.
    #[serde(default)]
    #[x_kube(validation = Rule::new("self == oldSelf").message(
        "persistence cannot be changed after creation (StatefulSet volume claim templates are immutable): create a new RedisReplicaSet with the new persistence and move the data"
    ))]
    pub persistence: PersistenceSpec,

    /// The master accepts writes only while at least this many replicas are connected
    /// and acknowledged within min-replicas-max-lag seconds (Redis
    /// min-replicas-to-write). 0 accepts writes with no replica. Must not exceed
    /// replicas.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub min_replicas_to_write: i32,

    /// Extra redis.conf settings for the data pods, for example maxmemory: 256mb and
    /// maxmemory-policy: allkeys-lru. Only tuning settings are accepted (memory,
    /// eviction, timeouts, encodings, slow log, replication buffers); the operator sets
    /// ports, replication, passwords and persistence itself. Changing a value rolls the
    /// data pods.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    // maxLength bounds the CEL cost estimate of the rules over the values.
    #[schemars(extend("maxProperties" = 64, "additionalProperties" = {"type": "string", "maxLength": 1024}))]
    #[x_kube(
        validation = Rule::new(config_keys::allowlist_rule())
            .message(Message::Expression(config_keys::allowlist_message_expression())),
        validation = Rule::new(config_keys::SINGLE_LINE_RULE).message(config_keys::SINGLE_LINE_MESSAGE),
    )]
    pub config: BTreeMap<String, String>,

    /// CPU and memory requests and limits of each data container. Set a memory limit
    /// above maxmemory: replication buffers and snapshots need room beyond the dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,

    /// Scheduling of the data and sentinel pods.
    #[serde(default)]
    pub pod_template: PodTemplate,
}

fn default_replicas() -> i32 {
    2
}
