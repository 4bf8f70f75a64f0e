//! Properties of the generated schema that Kubernetes and `kubectl explain` rely on.

use kube::CustomResourceExt;
use serde_json::Value;

fn schema() -> Value {
    let crd = rrs_crds::RedisReplicaSet::crd();
    let version = crd.spec.versions.first().expect("one version").clone();
    let schema = version
        .schema
        .and_then(|s| s.open_api_v3_schema)
        .expect("a schema");
    serde_json::to_value(schema).expect("schema to JSON")
}

/// Every property under spec and status has a description (kubectl explain shows it),
/// and none leaks a developer note.
#[test]
fn every_field_is_described() {
    fn walk(path: &str, node: &Value, missing: &mut Vec<String>) {
        let Some(props) = node.get("properties").and_then(Value::as_object) else {
            if let Some(items) = node.get("items") {
                walk(&format!("{path}[]"), items, missing);
            }
            return;
        };
        for (name, prop) in props {
            let p = format!("{path}.{name}");
            match prop.get("description").and_then(Value::as_str) {
                None | Some("") => missing.push(p.clone()),
                Some(d) => {
                    for leak in ["TODO", "FIXME", "NB:", "XXX", "Auto-generated"] {
                        assert!(!d.contains(leak), "{p}: description leaks {leak:?}: {d}");
                    }
                }
            }
            walk(&p, prop, missing);
        }
    }
    let s = schema();
    let mut missing = Vec::new();
    for top in ["spec", "status"] {
        walk(top, &s["properties"][top], &mut missing);
    }
    assert!(
        missing.is_empty(),
        "fields without a description: {missing:?}"
    );
}

#[test]
fn scale_and_status_subresources() {
    let crd = rrs_crds::RedisReplicaSet::crd();
    let v = &crd.spec.versions[0];
    let sub = v.subresources.as_ref().expect("subresources");
    assert!(sub.status.is_some());
    let scale = sub.scale.as_ref().expect("scale subresource");
    assert_eq!(scale.spec_replicas_path, ".spec.replicas");
    assert_eq!(scale.status_replicas_path, ".status.replicas");
    assert_eq!(
        scale.label_selector_path.as_deref(),
        Some(".status.selector")
    );
    let columns: Vec<_> = v
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(columns, ["Master", "Replicas", "Ready", "Phase", "Age"]);
    assert_eq!(
        crd.spec.names.short_names.as_deref(),
        Some(&["rrs".to_string()][..])
    );
}

/// The rules compile and stay within the apiserver's per-rule cost budget, so the CRD
/// is accepted at creation.
#[test]
fn rules_compile_within_the_cost_budget() {
    use kube::core::cel::{compile_schema, estimate_rule_cost, CompiledSchema};
    fn walk(node: &CompiledSchema, count: &mut usize) {
        for r in &node.validations {
            let compiled = r
                .as_ref()
                .unwrap_or_else(|e| panic!("rule did not compile: {e}"));
            assert!(compiled.message_program.is_some() || compiled.rule.message.is_some());
            let warnings = estimate_rule_cost(&compiled.rule.rule, node);
            assert!(warnings.is_empty(), "{}: {warnings:?}", compiled.rule.rule);
            *count += 1;
        }
        let children = node.properties.values();
        let rest = node
            .items
            .iter()
            .chain(node.additional_properties.iter())
            .map(|b| &**b);
        for child in children.chain(rest) {
            walk(child, count);
        }
    }
    let mut count = 0;
    walk(&compile_schema(&schema()), &mut count);
    assert_eq!(count, 7, "every rule of the CRD was checked");
}
