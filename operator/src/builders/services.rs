//! The four Services: headless `<name>-headless` (stable pod DNS names), headless
//! `<name>-sentinel` (port 26379), master `<name>` (no selector: its EndpointSlice is
//! written by the sentinels) and `<name>-replicas` (pods labelled rrs.dev/role=replica).

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use rrs_crds::RedisReplicaSet;

use super::owned_meta;
use crate::names::{self, Names};

pub fn headless(rrs: &RedisReplicaSet) -> Service {
    let n = Names::of(rrs);
    service(
        rrs,
        n.headless(),
        ServiceSpec {
            cluster_ip: Some("None".into()),
            // Replicas resolve the master (and sentinels the pods) before they are ready.
            publish_not_ready_addresses: Some(true),
            selector: Some(names::selector_labels(&n, names::COMPONENT_DATA)),
            ports: Some(vec![port("redis", names::REDIS_PORT)]),
            ..ServiceSpec::default()
        },
    )
}

pub fn sentinel(rrs: &RedisReplicaSet) -> Service {
    let n = Names::of(rrs);
    service(
        rrs,
        n.sentinel(),
        ServiceSpec {
            cluster_ip: Some("None".into()),
            publish_not_ready_addresses: Some(true),
            selector: Some(names::selector_labels(&n, names::COMPONENT_SENTINEL)),
            ports: Some(vec![port("sentinel", names::SENTINEL_PORT)]),
            ..ServiceSpec::default()
        },
    )
}

/// The master Service. Without a selector Kubernetes leaves its endpoints alone; the
/// EndpointSlice `<name>` (see [`super::endpointslice`]) names the master.
pub fn master(rrs: &RedisReplicaSet) -> Service {
    let n = Names::of(rrs);
    service(
        rrs,
        n.master_service(),
        ServiceSpec {
            type_: Some("ClusterIP".into()),
            ports: Some(vec![port("redis", names::REDIS_PORT)]),
            ..ServiceSpec::default()
        },
    )
}

pub fn replicas(rrs: &RedisReplicaSet) -> Service {
    let n = Names::of(rrs);
    let mut selector = names::selector_labels(&n, names::COMPONENT_DATA);
    selector.insert(names::LABEL_ROLE.into(), names::ROLE_REPLICA.into());
    service(
        rrs,
        n.replicas_service(),
        ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector),
            ports: Some(vec![port("redis", names::REDIS_PORT)]),
            ..ServiceSpec::default()
        },
    )
}

fn service(rrs: &RedisReplicaSet, name: String, spec: ServiceSpec) -> Service {
    let n = Names::of(rrs);
    Service {
        metadata: owned_meta(rrs, name, names::common_labels(&n)),
        spec: Some(spec),
        ..Service::default()
    }
}

fn port(name: &str, port: i32) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        port,
        target_port: Some(IntOrString::Int(port)),
        protocol: Some("TCP".into()),
        ..ServicePort::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builders::testutil::{assert_golden, cache};

    #[test]
    fn golden_services() {
        let rrs = cache();
        assert_golden("service-headless", &headless(&rrs));
        assert_golden("service-sentinel", &sentinel(&rrs));
        assert_golden("service-master", &master(&rrs));
        assert_golden("service-replicas", &replicas(&rrs));
    }

    #[test]
    fn master_has_no_selector_and_replicas_select_the_role() {
        let rrs = cache();
        assert_eq!(master(&rrs).spec.and_then(|s| s.selector), None);
        let sel = replicas(&rrs)
            .spec
            .and_then(|s| s.selector)
            .unwrap_or_default();
        assert_eq!(sel.get("rrs.dev/role").map(String::as_str), Some("replica"));
        assert_eq!(
            sel.get("app.kubernetes.io/instance").map(String::as_str),
            Some("cache")
        );
    }
}
