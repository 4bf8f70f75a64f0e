//! `spec.podTemplate` and `spec.imagePullPolicy`: where and how the pods run.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, Toleration};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Scheduling settings applied to the data pods and the sentinel pods.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PodTemplate {
    /// Node labels a node must carry to run these pods.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,

    /// Taints these pods tolerate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,

    /// Scheduling constraints. When empty, pods of the same set prefer different nodes
    /// (preferred pod anti-affinity on kubernetes.io/hostname), so one node failure
    /// takes down at most one data pod and one sentinel when the cluster has room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,

    /// PriorityClass of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
}

/// When the kubelet pulls the image: Always (on every pod start), IfNotPresent (only
/// when the node lacks it) or Never.
// No doc comments on the variants: they would turn the schema into a non-structural
// oneOf instead of a plain enum.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImagePullPolicy {
    Always,
    IfNotPresent,
    Never,
}
