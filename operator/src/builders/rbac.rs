//! ServiceAccount, Role and RoleBinding `<name>` for the data and sentinel pods, with only
//! what they need: the agent reads pods and the master EndpointSlice and labels its own
//! pod; the sentinels' publisher reads and rewrites the master EndpointSlice. Writes are
//! limited by resourceNames to this set's pods and its one slice.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use rrs_crds::RedisReplicaSet;

use super::owned_meta;
use crate::names::{self, Names};

pub fn service_account(rrs: &RedisReplicaSet) -> ServiceAccount {
    let n = Names::of(rrs);
    ServiceAccount {
        metadata: owned_meta(rrs, n.rbac(), names::common_labels(&n)),
        ..ServiceAccount::default()
    }
}

pub fn role(rrs: &RedisReplicaSet) -> Role {
    let n = Names::of(rrs);
    let pods: Vec<String> = (0..=rrs.spec.replicas).map(|i| n.pod(i)).collect();
    let rule =
        |group: &str, resource: &str, verbs: &[&str], names: Option<Vec<String>>| PolicyRule {
            api_groups: Some(vec![group.into()]),
            resources: Some(vec![resource.into()]),
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
            resource_names: names,
            ..PolicyRule::default()
        };
    Role {
        metadata: owned_meta(rrs, n.rbac(), names::common_labels(&n)),
        rules: Some(vec![
            rule("", "pods", &["get", "list", "watch"], None),
            rule("", "pods", &["patch"], Some(pods)),
            rule(
                "discovery.k8s.io",
                "endpointslices",
                &["get", "list", "watch"],
                None,
            ),
            rule(
                "discovery.k8s.io",
                "endpointslices",
                &["update", "patch"],
                Some(vec![n.master_service()]),
            ),
        ]),
    }
}

pub fn role_binding(rrs: &RedisReplicaSet) -> RoleBinding {
    let n = Names::of(rrs);
    RoleBinding {
        metadata: owned_meta(rrs, n.rbac(), names::common_labels(&n)),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: n.rbac(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: n.rbac(),
            namespace: Some(n.namespace.clone()),
            ..Subject::default()
        }]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builders::testutil::{assert_golden, cache};

    #[test]
    fn golden_rbac() {
        let rrs = cache();
        assert_golden("serviceaccount", &service_account(&rrs));
        assert_golden("role", &role(&rrs));
        assert_golden("rolebinding", &role_binding(&rrs));
    }

    #[test]
    fn role_grants_no_create_or_delete_and_patches_only_own_pods() {
        let role = role(&cache());
        for r in role.rules.iter().flatten() {
            for v in &r.verbs {
                assert!(
                    ["get", "list", "watch", "patch", "update"].contains(&v.as_str()),
                    "{v}"
                );
            }
            if r.verbs.iter().any(|v| v == "patch") {
                assert!(r.resource_names.is_some(), "unrestricted write: {r:?}");
            }
        }
        let pods = &role.rules.expect("rules")[1];
        assert_eq!(
            pods.resource_names.as_deref(),
            Some(&["cache-0".to_string(), "cache-1".into(), "cache-2".into()][..])
        );
    }
}
