//! Parts shared by the data and sentinel pod templates: security contexts, scheduling,
//! environment.

use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, EnvVar, EnvVarSource, ObjectFieldSelector, PodAffinityTerm,
    PodAntiAffinity, PodSecurityContext, SeccompProfile, SecretKeySelector, SecurityContext,
    WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use rrs_crds::RedisReplicaSet;

use super::auth_secret_name;
use crate::names::{self, Names};

/// User and group the node runs as (no root needed: ports are above 1024).
pub const RUN_AS: i64 = 999;

/// Pod-level: non-root, volumes group-owned by the node's group, default seccomp.
pub fn pod_security() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS),
        run_as_group: Some(RUN_AS),
        fs_group: Some(RUN_AS),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    }
}

/// Container-level: no privilege escalation, no capabilities, read-only root file
/// system (the node writes only to its mounted volumes).
pub fn container_security() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Capabilities::default()
        }),
        ..SecurityContext::default()
    }
}

/// The user's affinity, or by default: prefer spreading this component's pods over
/// nodes.
pub fn affinity(rrs: &RedisReplicaSet, component: &str) -> Affinity {
    if let Some(a) = &rrs.spec.pod_template.affinity {
        return a.clone();
    }
    let n = Names::of(rrs);
    Affinity {
        pod_anti_affinity: Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: PodAffinityTerm {
                        topology_key: "kubernetes.io/hostname".into(),
                        label_selector: Some(LabelSelector {
                            match_labels: Some(names::selector_labels(&n, component)),
                            ..LabelSelector::default()
                        }),
                        ..PodAffinityTerm::default()
                    },
                },
            ]),
            ..PodAntiAffinity::default()
        }),
        ..Affinity::default()
    }
}

/// `POD_NAME` (for the announced hostname, via `$(POD_NAME)` in the arguments) and
/// `RRS_PASSWORD` from the auth Secret. Kubernetes expands `$(VAR)` in args, so the
/// image needs no shell.
pub fn env(rrs: &RedisReplicaSet) -> Vec<EnvVar> {
    let n = Names::of(rrs);
    vec![
        EnvVar {
            name: "POD_NAME".into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "metadata.name".into(),
                    ..ObjectFieldSelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        },
        EnvVar {
            name: "RRS_PASSWORD".into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: auth_secret_name(rrs),
                    key: names::PASSWORD_KEY.into(),
                    optional: Some(false),
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        },
        // Read by the node's agent (assumption: DESIGN section 5, role decision at boot).
        EnvVar {
            name: "RRS_MASTER_GROUP".into(),
            value: Some(n.master_group()),
            ..EnvVar::default()
        },
        EnvVar {
            name: "RRS_SENTINEL_SERVICE".into(),
            value: Some(format!(
                "{}.{}.svc:{}",
                n.sentinel(),
                n.namespace,
                names::SENTINEL_PORT
            )),
            ..EnvVar::default()
        },
        EnvVar {
            name: "RRS_MASTER_ENDPOINTSLICE".into(),
            value: Some(n.master_service()),
            ..EnvVar::default()
        },
    ]
}
