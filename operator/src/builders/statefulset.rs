//! The two StatefulSets: data pods `<name>-0..N` and sentinels `<name>-sentinel-0..M`.
//!
//! Both use `updateStrategy: OnDelete`: the operator decides which pod restarts when
//! (replicas first, one switchover, the master last; see `crate::plan::rolling`), and
//! `podManagementPolicy: Parallel`, since roles come from the sentinels, not from
//! start order.
//!
//! Assumed node command line (the node's CLI is being built): `rrs-node server
//! <redis.conf> [--name value ...]` for data pods and `rrs-node sentinel <sentinel.conf>
//! [--sentinel <directive ...>]` for sentinels, options read after the file as
//! redis-server does.

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec, StatefulSetUpdateStrategy};
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, HTTPGetAction,
    KeyToPath, PersistentVolumeClaim, PersistentVolumeClaimSpec, PodSpec, PodTemplateSpec, Probe,
    TCPSocketAction, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use rrs_crds::{ImagePullPolicy, RedisReplicaSet};
use std::collections::BTreeMap;

use super::{config, owned_meta, pod, BuildContext};
use crate::names::{self, Names};

/// The data StatefulSet `<name>`: spec.replicas + 1 pods.
pub fn data(rrs: &RedisReplicaSet, ctx: &BuildContext) -> StatefulSet {
    let n = Names::of(rrs);
    let spec = &rrs.spec;
    let labels = names::component_labels(&n, names::COMPONENT_DATA);
    let mut args: Vec<String> = vec![
        "server".into(),
        format!("/etc/rrs/{}", names::NODE_CONF_KEY),
    ];
    for (k, v) in [
        ("--requirepass", "$(RRS_PASSWORD)".to_string()),
        ("--masterauth", "$(RRS_PASSWORD)".to_string()),
        (
            "--replica-announce-ip",
            format!("$(POD_NAME).{}.{}.svc", n.headless(), n.namespace),
        ),
    ] {
        args.push(k.into());
        args.push(v);
    }
    let container = Container {
        name: "node".into(),
        image: Some(ctx.image(rrs).into()),
        image_pull_policy: pull_policy(spec.image_pull_policy),
        args: Some(args),
        env: Some(pod::env(rrs)),
        ports: Some(vec![
            port("redis", names::REDIS_PORT),
            port("health", names::HEALTH_PORT),
        ]),
        // Loading a large snapshot can take minutes: the startup probe covers it, then
        // liveness only checks that the port answers.
        startup_probe: Some(Probe {
            failure_threshold: Some(60),
            period_seconds: Some(5),
            ..tcp_probe("redis")
        }),
        liveness_probe: Some(Probe {
            failure_threshold: Some(3),
            period_seconds: Some(10),
            ..tcp_probe("redis")
        }),
        // Ready = master serving, or replica with its initial sync done: a replica is
        // never counted (nor promoted by the rolling update) before it has the data.
        readiness_probe: Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/readyz".into()),
                port: IntOrString::String("health".into()),
                ..HTTPGetAction::default()
            }),
            period_seconds: Some(5),
            failure_threshold: Some(2),
            ..Probe::default()
        }),
        resources: spec.resources.clone(),
        security_context: Some(pod::container_security()),
        volume_mounts: Some(vec![mount("data", "/data"), mount("config", "/etc/rrs")]),
        ..Container::default()
    };
    let mut volumes = vec![config_volume(&n, names::NODE_CONF_KEY)];
    let claims = if spec.persistence.enabled {
        Some(vec![PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some("data".into()),
                labels: Some(names::component_labels(&n, names::COMPONENT_DATA)),
                ..ObjectMeta::default()
            },
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".into()]),
                storage_class_name: spec.persistence.storage_class_name.clone(),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([(
                        "storage".into(),
                        spec.persistence.size.clone(),
                    )])),
                    ..VolumeResourceRequirements::default()
                }),
                ..PersistentVolumeClaimSpec::default()
            }),
            ..PersistentVolumeClaim::default()
        }])
    } else {
        volumes.push(empty_dir("data"));
        None
    };
    let hash = config::fnv_hex(&[&config::node_conf(rrs)]);
    StatefulSet {
        metadata: owned_meta(rrs, n.data(), labels.clone()),
        spec: Some(StatefulSetSpec {
            replicas: Some(spec.replicas + 1),
            service_name: Some(n.headless()),
            pod_management_policy: Some("Parallel".into()),
            update_strategy: Some(on_delete()),
            selector: LabelSelector {
                match_labels: Some(names::selector_labels(&n, names::COMPONENT_DATA)),
                ..LabelSelector::default()
            },
            template: template(rrs, labels, hash, names::COMPONENT_DATA, container, volumes),
            volume_claim_templates: claims,
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

/// The sentinel StatefulSet `<name>-sentinel`.
pub fn sentinel(rrs: &RedisReplicaSet, ctx: &BuildContext) -> StatefulSet {
    let n = Names::of(rrs);
    let spec = &rrs.spec;
    let labels = names::component_labels(&n, names::COMPONENT_SENTINEL);
    let group = n.master_group();
    let args = vec![
        "sentinel".to_string(),
        format!("/etc/rrs/{}", names::SENTINEL_CONF_KEY),
        "--sentinel".into(),
        "announce-ip".into(),
        format!("$(POD_NAME).{}.{}.svc", n.sentinel(), n.namespace),
        "--sentinel".into(),
        "auth-pass".into(),
        group,
        "$(RRS_PASSWORD)".into(),
    ];
    let container = Container {
        name: "sentinel".into(),
        image: Some(ctx.image(rrs).into()),
        image_pull_policy: pull_policy(spec.image_pull_policy),
        args: Some(args),
        env: Some(pod::env(rrs)),
        ports: Some(vec![port("sentinel", names::SENTINEL_PORT)]),
        liveness_probe: Some(Probe {
            failure_threshold: Some(3),
            period_seconds: Some(10),
            ..tcp_probe("sentinel")
        }),
        readiness_probe: Some(Probe {
            period_seconds: Some(5),
            ..tcp_probe("sentinel")
        }),
        resources: spec.sentinel.resources.clone(),
        security_context: Some(pod::container_security()),
        volume_mounts: Some(vec![
            mount("state", "/var/lib/rrs"),
            mount("config", "/etc/rrs"),
        ]),
        ..Container::default()
    };
    // The sentinel rewrites its config as its state changes, so it needs a writable
    // directory; the ConfigMap copy is only read at start (assumption on the node).
    let volumes = vec![
        config_volume(&n, names::SENTINEL_CONF_KEY),
        empty_dir("state"),
    ];
    let hash = config::fnv_hex(&[&config::sentinel_conf(rrs)]);
    StatefulSet {
        metadata: owned_meta(rrs, n.sentinel(), labels.clone()),
        spec: Some(StatefulSetSpec {
            replicas: Some(spec.sentinel.replicas),
            service_name: Some(n.sentinel()),
            pod_management_policy: Some("Parallel".into()),
            update_strategy: Some(on_delete()),
            selector: LabelSelector {
                match_labels: Some(names::selector_labels(&n, names::COMPONENT_SENTINEL)),
                ..LabelSelector::default()
            },
            template: template(
                rrs,
                labels,
                hash,
                names::COMPONENT_SENTINEL,
                container,
                volumes,
            ),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

fn template(
    rrs: &RedisReplicaSet,
    labels: BTreeMap<String, String>,
    config_hash: String,
    component: &str,
    container: Container,
    volumes: Vec<Volume>,
) -> PodTemplateSpec {
    let n = Names::of(rrs);
    let pt = &rrs.spec.pod_template;
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            annotations: Some(BTreeMap::from([(
                names::ANNOTATION_CONFIG_HASH.into(),
                config_hash,
            )])),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(n.rbac()),
            automount_service_account_token: Some(true),
            security_context: Some(pod::pod_security()),
            affinity: Some(pod::affinity(rrs, component)),
            node_selector: (!pt.node_selector.is_empty()).then(|| pt.node_selector.clone()),
            tolerations: (!pt.tolerations.is_empty()).then(|| pt.tolerations.clone()),
            priority_class_name: pt.priority_class_name.clone(),
            termination_grace_period_seconds: Some(30),
            enable_service_links: Some(false),
            containers: vec![container],
            volumes: Some(volumes),
            ..PodSpec::default()
        }),
    }
}

fn on_delete() -> StatefulSetUpdateStrategy {
    StatefulSetUpdateStrategy {
        type_: Some("OnDelete".into()),
        ..StatefulSetUpdateStrategy::default()
    }
}

fn pull_policy(p: Option<ImagePullPolicy>) -> Option<String> {
    p.map(|p| {
        match p {
            ImagePullPolicy::Always => "Always",
            ImagePullPolicy::IfNotPresent => "IfNotPresent",
            ImagePullPolicy::Never => "Never",
        }
        .to_string()
    })
}

fn port(name: &str, port: i32) -> ContainerPort {
    ContainerPort {
        name: Some(name.into()),
        container_port: port,
        protocol: Some("TCP".into()),
        ..ContainerPort::default()
    }
}

fn tcp_probe(port: &str) -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::String(port.into()),
            ..TCPSocketAction::default()
        }),
        ..Probe::default()
    }
}

fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        ..VolumeMount::default()
    }
}

fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.into(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }
}

/// The ConfigMap mounted with only the one file this component reads.
fn config_volume(n: &Names, key: &str) -> Volume {
    Volume {
        name: "config".into(),
        config_map: Some(ConfigMapVolumeSource {
            name: n.config(),
            items: Some(vec![KeyToPath {
                key: key.into(),
                path: key.into(),
                ..KeyToPath::default()
            }]),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builders::testutil::{assert_golden, cache, ctx, minimal};

    #[test]
    fn golden_statefulsets() {
        assert_golden("statefulset-data-cache", &data(&cache(), &ctx()));
        assert_golden("statefulset-sentinel-cache", &sentinel(&cache(), &ctx()));
        assert_golden("statefulset-data-sessions", &data(&minimal(), &ctx()));
    }

    #[test]
    fn data_pods_are_master_plus_replicas_on_delete() {
        let sts = data(&cache(), &ctx());
        let spec = sts.spec.expect("spec");
        assert_eq!(spec.replicas, Some(3));
        assert_eq!(
            spec.update_strategy.and_then(|u| u.type_).as_deref(),
            Some("OnDelete")
        );
        let owner = &sts.metadata.owner_references.expect("owner")[0];
        assert_eq!(
            (owner.kind.as_str(), owner.controller),
            ("RedisReplicaSet", Some(true))
        );
    }

    #[test]
    fn config_change_changes_the_template() {
        let a = data(&cache(), &ctx());
        let mut changed = cache();
        changed
            .spec
            .config
            .insert("maxmemory".into(), "512mb".into());
        let b = data(&changed, &ctx());
        let template = |s: StatefulSet| s.spec.expect("spec").template;
        assert_ne!(template(a), template(b));
        // ...but not for the sentinels, which do not read node.conf.
        assert_eq!(
            template(sentinel(&cache(), &ctx())),
            template(sentinel(&changed, &ctx()))
        );
    }

    #[test]
    fn no_persistence_uses_an_empty_dir() {
        let mut rrs = cache();
        rrs.spec.persistence.enabled = false;
        let spec = data(&rrs, &ctx()).spec.expect("spec");
        assert!(spec.volume_claim_templates.is_none());
        let volumes = spec
            .template
            .spec
            .and_then(|s| s.volumes)
            .unwrap_or_default();
        assert!(volumes
            .iter()
            .any(|v| v.name == "data" && v.empty_dir.is_some()));
    }

    #[test]
    fn user_affinity_replaces_the_default() {
        let mut rrs = cache();
        rrs.spec.pod_template.affinity = Some(Default::default());
        let spec = data(&rrs, &ctx()).spec.expect("spec");
        assert_eq!(
            spec.template.spec.and_then(|s| s.affinity),
            Some(Default::default())
        );
    }
}
