//! PodDisruptionBudgets: voluntary evictions (node drains) take at most one data pod and
//! one sentinel at a time, so a drain never removes the master and its replicas together
//! nor the sentinels' majority.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use rrs_crds::RedisReplicaSet;

use super::owned_meta;
use crate::names::{self, Names};

pub fn data(rrs: &RedisReplicaSet) -> PodDisruptionBudget {
    let n = Names::of(rrs);
    pdb(rrs, n.data(), names::COMPONENT_DATA)
}

pub fn sentinel(rrs: &RedisReplicaSet) -> PodDisruptionBudget {
    let n = Names::of(rrs);
    pdb(rrs, n.sentinel(), names::COMPONENT_SENTINEL)
}

fn pdb(rrs: &RedisReplicaSet, name: String, component: &str) -> PodDisruptionBudget {
    let n = Names::of(rrs);
    PodDisruptionBudget {
        metadata: owned_meta(rrs, name, names::component_labels(&n, component)),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(names::selector_labels(&n, component)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builders::testutil::{assert_golden, cache};

    #[test]
    fn golden_pdbs() {
        assert_golden("pdb-data", &data(&cache()));
        assert_golden("pdb-sentinel", &sentinel(&cache()));
    }
}
