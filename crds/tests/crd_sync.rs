//! The committed CRD YAML must be what the Rust types generate.
//! `UPDATE_CRDS=1 cargo test -p rrs-crds --test crd_sync` rewrites it.

use std::path::PathBuf;

#[test]
fn committed_crd_matches_the_types() {
    let generated = rrs_crds::yaml::crd_yaml().expect("the CRD serializes");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rrs_crds::yaml::FILE);
    if std::env::var_os("UPDATE_CRDS").is_some() {
        std::fs::write(&path, &generated).expect("write the CRD");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} differs from what the types generate: run `UPDATE_CRDS=1 cargo test -p rrs-crds --test crd_sync` and commit it",
        path.display()
    );
}

#[test]
fn crd_round_trips_through_yaml() {
    // The committed file is what `kubectl apply` reads: it must parse back into the same CRD.
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::CustomResourceExt;
    let yaml = rrs_crds::yaml::crd_yaml().expect("the CRD serializes");
    let parsed: CustomResourceDefinition = serde_saphyr::from_str(&yaml).expect("the YAML parses");
    assert_eq!(parsed, rrs_crds::RedisReplicaSet::crd());
}
