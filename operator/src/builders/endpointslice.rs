//! The master Service's EndpointSlice `<name>`.
//!
//! The sentinels own it after bootstrap: they rewrite it on every failover, guarded by
//! the config epoch and the resourceVersion. The operator only creates it, at epoch 0
//! naming `<name>-0`, and fills in `<name>-0`'s address while the epoch is still 0.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use rrs_crds::RedisReplicaSet;

use super::owned_meta;
use crate::names::{self, Names};

/// The bootstrap slice: epoch 0, master `<name>-0`, with its address when `master_pod`
/// (the pod `<name>-0`) has an IP, else with no endpoint (no traffic rather than the
/// wrong pod).
pub fn bootstrap(rrs: &RedisReplicaSet, master_pod: Option<&Pod>) -> EndpointSlice {
    let n = Names::of(rrs);
    let master = n.pod(0);
    let mut labels = names::common_labels(&n);
    labels.insert(names::LABEL_SERVICE_NAME.into(), n.master_service());
    labels.insert(
        names::LABEL_SLICE_MANAGED_BY.into(),
        names::SLICE_MANAGER.into(),
    );
    let mut meta = owned_meta(rrs, n.master_service(), labels);
    meta.annotations = Some(BTreeMap::from([
        (names::ANNOTATION_MASTER.to_string(), master.clone()),
        (names::ANNOTATION_CONFIG_EPOCH.to_string(), "0".to_string()),
    ]));
    let endpoint = master_pod.and_then(|p| {
        let ip = p.status.as_ref()?.pod_ip.clone()?;
        Some(Endpoint {
            addresses: vec![ip],
            conditions: Some(EndpointConditions {
                ready: Some(true),
                ..EndpointConditions::default()
            }),
            hostname: Some(master.clone()),
            node_name: p.spec.as_ref().and_then(|s| s.node_name.clone()),
            target_ref: Some(ObjectReference {
                kind: Some("Pod".into()),
                name: Some(master.clone()),
                namespace: Some(n.namespace.clone()),
                uid: p.metadata.uid.clone(),
                ..ObjectReference::default()
            }),
            ..Endpoint::default()
        })
    });
    EndpointSlice {
        metadata: meta,
        address_type: "IPv4".into(),
        endpoints: endpoint.into_iter().collect(),
        ports: Some(vec![EndpointPort {
            name: Some("redis".into()),
            port: Some(names::REDIS_PORT),
            protocol: Some("TCP".into()),
            ..EndpointPort::default()
        }]),
    }
}

/// What a slice says: (master pod, config epoch), if its annotations are readable.
pub fn published_master(slice: &EndpointSlice) -> Option<(String, i64)> {
    let a = slice.metadata.annotations.as_ref()?;
    let master = a.get(names::ANNOTATION_MASTER)?.clone();
    let epoch = a.get(names::ANNOTATION_CONFIG_EPOCH)?.parse().ok()?;
    Some((master, epoch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builders::testutil::{assert_golden, cache};
    use k8s_openapi::api::core::v1::{PodSpec, PodStatus};
    use kube::api::ObjectMeta;

    fn pod0() -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("cache-0".into()),
                uid: Some("pod-uid-0".into()),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                node_name: Some("node-a".into()),
                ..PodSpec::default()
            }),
            status: Some(PodStatus {
                pod_ip: Some("10.1.2.3".into()),
                ..PodStatus::default()
            }),
        }
    }

    #[test]
    fn golden_bootstrap_slices() {
        assert_golden("endpointslice-bootstrap-empty", &bootstrap(&cache(), None));
        assert_golden(
            "endpointslice-bootstrap",
            &bootstrap(&cache(), Some(&pod0())),
        );
    }

    #[test]
    fn epoch_zero_names_pod_zero() {
        let s = bootstrap(&cache(), Some(&pod0()));
        assert_eq!(published_master(&s), Some(("cache-0".into(), 0)));
        assert_eq!(s.endpoints[0].addresses, ["10.1.2.3"]);
        let labels = s.metadata.labels.unwrap_or_default();
        assert_eq!(
            labels.get("kubernetes.io/service-name").map(String::as_str),
            Some("cache")
        );
    }
}
