//! Names, labels, annotations and ports shared by the builders, the reconciler and
//! (later) the node's agent and sentinel publisher. One place, so they cannot drift.

use std::collections::BTreeMap;

use rrs_crds::RedisReplicaSet;

/// Field manager of every server-side apply the operator makes.
pub const FIELD_MANAGER: &str = "rrs-operator";

/// Port of the data pods (Redis protocol).
pub const REDIS_PORT: i32 = 6379;
/// Port of the sentinels.
pub const SENTINEL_PORT: i32 = 26379;
/// Port of the node agent's health endpoints (`/healthz`, `/readyz`) in data pods.
/// Assumption: the node's agent serves them (DESIGN section 1, `src/agent/`); `/readyz`
/// answers 200 on a master that serves, and on a replica once its initial sync is done.
pub const HEALTH_PORT: i32 = 8080;

pub const LABEL_NAME: &str = "app.kubernetes.io/name";
pub const LABEL_INSTANCE: &str = "app.kubernetes.io/instance";
pub const LABEL_COMPONENT: &str = "app.kubernetes.io/component";
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Role of a data pod: `master` or `replica`.
pub const LABEL_ROLE: &str = "rrs.dev/role";
pub const ROLE_MASTER: &str = "master";
pub const ROLE_REPLICA: &str = "replica";
pub const COMPONENT_DATA: &str = "data";
pub const COMPONENT_SENTINEL: &str = "sentinel";

/// EndpointSlice labels that tie the master slice to its Service and say who writes it.
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
pub const LABEL_SLICE_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
pub const SLICE_MANAGER: &str = "sentinel.rrs.dev";
/// Annotations of the master EndpointSlice, written by the sentinels' publisher.
pub const ANNOTATION_MASTER: &str = "rrs.dev/master";
pub const ANNOTATION_CONFIG_EPOCH: &str = "rrs.dev/config-epoch";
/// Pod template annotation: hash of the node configuration, so a config change changes
/// the StatefulSet revision and the rolling update picks it up.
pub const ANNOTATION_CONFIG_HASH: &str = "rrs.dev/config-hash";
/// StatefulSet pod label holding the pod's revision (set by Kubernetes).
pub const LABEL_REVISION: &str = "controller-revision-hash";

/// Key of the password in the auth Secret.
pub const PASSWORD_KEY: &str = "password";
/// Keys of the ConfigMap.
pub const NODE_CONF_KEY: &str = "node.conf";
pub const SENTINEL_CONF_KEY: &str = "sentinel.conf";

/// The names of one set's objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// The CR's name; also the data StatefulSet, the master Service and its EndpointSlice.
    pub set: String,
    pub namespace: String,
}

impl Names {
    pub fn of(rrs: &RedisReplicaSet) -> Self {
        Self {
            set: rrs.metadata.name.clone().unwrap_or_default(),
            namespace: rrs.metadata.namespace.clone().unwrap_or_default(),
        }
    }
    pub fn data(&self) -> String {
        self.set.clone()
    }
    pub fn headless(&self) -> String {
        format!("{}-headless", self.set)
    }
    pub fn sentinel(&self) -> String {
        format!("{}-sentinel", self.set)
    }
    pub fn master_service(&self) -> String {
        self.set.clone()
    }
    pub fn replicas_service(&self) -> String {
        format!("{}-replicas", self.set)
    }
    pub fn config(&self) -> String {
        format!("{}-config", self.set)
    }
    pub fn generated_secret(&self) -> String {
        format!("{}-auth", self.set)
    }
    pub fn rbac(&self) -> String {
        self.set.clone()
    }
    /// The sentinels' master group: `<namespace>.<name>`, never a shared `mymaster`.
    pub fn master_group(&self) -> String {
        format!("{}.{}", self.namespace, self.set)
    }
    /// Data pod `ordinal`.
    pub fn pod(&self, ordinal: i32) -> String {
        format!("{}-{ordinal}", self.set)
    }
    /// Stable DNS name of a data pod (resolved through the pod's search path).
    pub fn pod_host(&self, pod: &str) -> String {
        format!("{pod}.{}.{}.svc", self.headless(), self.namespace)
    }
    /// The ordinal of a data pod of this set, from its name.
    pub fn ordinal(&self, pod: &str) -> Option<i32> {
        ordinal_of(&self.data(), pod)
    }
    /// Stable address of a sentinel pod.
    pub fn sentinel_addr(&self, pod: &str) -> String {
        format!(
            "{pod}.{}.{}.svc:{SENTINEL_PORT}",
            self.sentinel(),
            self.namespace
        )
    }
    /// Stable address of a data pod.
    pub fn pod_addr(&self, pod: &str) -> String {
        format!("{}:{REDIS_PORT}", self.pod_host(pod))
    }
}

/// The ordinal of pod `<statefulset>-<n>`.
pub fn ordinal_of(statefulset: &str, pod: &str) -> Option<i32> {
    let digits = pod.strip_prefix(statefulset)?.strip_prefix('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Labels on every object of a set.
pub fn common_labels(names: &Names) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAME.to_string(), "rrs".to_string()),
        (LABEL_INSTANCE.to_string(), names.set.clone()),
        (LABEL_MANAGED_BY.to_string(), FIELD_MANAGER.to_string()),
    ])
}

/// Labels of one component's objects and pods.
pub fn component_labels(names: &Names, component: &str) -> BTreeMap<String, String> {
    let mut l = common_labels(names);
    l.insert(LABEL_COMPONENT.to_string(), component.to_string());
    l
}

/// The selector of one component's pods (without managed-by, which users may not keep
/// on pods they adopt).
pub fn selector_labels(names: &Names, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAME.to_string(), "rrs".to_string()),
        (LABEL_INSTANCE.to_string(), names.set.clone()),
        (LABEL_COMPONENT.to_string(), component.to_string()),
    ])
}

/// A label selector string, as `status.selector` carries it.
pub fn selector_string(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_only_for_this_sets_pods() {
        let n = Names {
            set: "cache".into(),
            namespace: "ns".into(),
        };
        assert_eq!(n.ordinal("cache-2"), Some(2));
        assert_eq!(n.ordinal("cache-sentinel-0"), None);
        assert_eq!(n.ordinal("cachex-1"), None);
        assert_eq!(n.master_group(), "ns.cache");
        assert_eq!(n.pod_host("cache-1"), "cache-1.cache-headless.ns.svc");
    }
}
