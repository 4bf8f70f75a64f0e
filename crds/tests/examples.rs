//! The manifests in `examples/` against the CRD: good ones pass the schema (checked by
//! `check-jsonschema`, installed by scripts/test-deps) and every CEL rule, and parse
//! into the Rust types; each invalid one fails with the message its header names.
//!
//! Header lines of an invalid example:
//! - `# expect: <text>`: passes the schema, and a CEL rule fails with a message
//!   starting with <text>;
//! - `# expect-schema: <text>`: check-jsonschema rejects it, printing <text>;
//! - `# old: <file>`: validate as an update of that example (for transition rules).

use std::path::{Path, PathBuf};
use std::process::Command;

use kube::CustomResourceExt;
use rrs_crds::RedisReplicaSet;
use serde_json::{Map, Value};

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("examples dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(path).expect("read example");
    let value: Value = serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
    (text, value)
}

fn header<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let prefix = format!("# {key}: ");
    text.lines().find_map(|l| l.strip_prefix(prefix.as_str()))
}

fn open_api_schema() -> Value {
    let crd = RedisReplicaSet::crd();
    let v = crd.spec.versions.into_iter().next().expect("a version");
    serde_json::to_value(v.schema.and_then(|s| s.open_api_v3_schema).expect("schema"))
        .expect("JSON")
}

/// Runs the CRD's CEL rules (after the schema defaults, as the apiserver does).
fn cel_errors(object: &Value, old: Option<&Value>) -> Vec<String> {
    let validator = kube::core::cel::Validator::new();
    match validator.validate(&open_api_schema(), object, old) {
        Ok(()) => vec![],
        Err(errors) => errors.into_vec().into_iter().map(|e| e.message).collect(),
    }
}

/// The structural OpenAPI schema as a JSON Schema that check-jsonschema understands:
/// `nullable` becomes a null type, and objects with declared properties refuse unknown
/// ones (what `kubectl apply`'s strict field validation does).
fn to_json_schema(node: &mut Value) {
    let Some(obj) = node.as_object_mut() else {
        return;
    };
    if obj.remove("nullable") == Some(Value::Bool(true)) {
        if let Some(Value::String(t)) = obj.get("type").cloned() {
            obj.insert("type".into(), serde_json::json!([t, "null"]));
        }
    }
    let preserve = obj.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if obj.contains_key("properties") && !obj.contains_key("additionalProperties") && !preserve {
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    for key in ["properties"] {
        if let Some(Value::Object(props)) = obj.get_mut(key) {
            props.values_mut().for_each(to_json_schema);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = obj.get_mut(key) {
            to_json_schema(child);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(children)) = obj.get_mut(key) {
            children.iter_mut().for_each(to_json_schema);
        }
    }
}

fn json_schema_file() -> PathBuf {
    let mut schema = open_api_schema();
    to_json_schema(&mut schema);
    if let Value::Object(m) = &mut schema {
        m.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        // apiVersion, kind and metadata are checked by the apiserver itself, not by the
        // CRD's schema.
        let props = m
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        props["metadata"] = serde_json::json!({"type": "object"});
        props["apiVersion"] = serde_json::json!({"const": "rrs.dev/v1alpha1"});
        props["kind"] = serde_json::json!({"const": "RedisReplicaSet"});
    }
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("redisreplicaset.schema.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&schema).expect("JSON")).expect("write schema");
    path
}

/// check-jsonschema over the files: (passed, output).
fn check_jsonschema(schema: &Path, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(schema)
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!("check-jsonschema is required (scripts/test-deps installs it from PyPI): {e}")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn good_examples_pass_schema_and_rules_and_parse() {
    let files = yaml_files(&examples_dir());
    assert!(files.len() >= 3, "good examples: {files:?}");
    let (ok, out) = check_jsonschema(&json_schema_file(), &files);
    assert!(ok, "check-jsonschema rejected a good example:\n{out}");
    for f in &files {
        let (_, value) = load(f);
        let errors = cel_errors(&value, None);
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
        if let Err(e) = serde_json::from_value::<RedisReplicaSet>(value) {
            panic!("{}: does not parse into the types: {e}", f.display());
        }
    }
}

#[test]
fn invalid_examples_fail_with_their_message() {
    let dir = examples_dir().join("invalid");
    let files = yaml_files(&dir);
    assert!(files.len() >= 8, "invalid examples: {files:?}");
    // One check-jsonschema run for all files (it starts slowly); its error lines start
    // with the file's path.
    let (_, out) = check_jsonschema(&json_schema_file(), &files);
    for f in &files {
        let (text, value) = load(f);
        let name = f.display();
        let prefix = format!("{name}::");
        let out: String = out
            .lines()
            .filter(|l| l.trim_start().starts_with(&prefix))
            .collect();
        let schema_ok = out.is_empty();
        match (header(&text, "expect"), header(&text, "expect-schema")) {
            (Some(expected), None) => {
                assert!(
                    schema_ok,
                    "{name}: should pass the schema, CEL rejects it:\n{out}"
                );
                let old = header(&text, "old").map(|o| load(&examples_dir().join(o)).1);
                let errors = cel_errors(&value, old.as_ref());
                assert_eq!(
                    errors.len(),
                    1,
                    "{name}: expected one CEL failure, got {errors:?}"
                );
                assert!(
                    errors[0].starts_with(expected),
                    "{name}: message\n  {}\ndoes not start with\n  {expected}",
                    errors[0]
                );
            }
            (None, Some(expected)) => {
                assert!(!schema_ok, "{name}: the schema accepted it");
                assert!(
                    out.contains(expected),
                    "{name}: {expected:?} not in:\n{out}"
                );
            }
            _ => panic!("{name}: needs exactly one `# expect:` or `# expect-schema:` line"),
        }
    }
}

/// The rules that compare with the old object only fire on updates: creating the
/// changed manifest from scratch is fine.
#[test]
fn persistence_rule_is_a_transition_rule() {
    let (_, value) = load(&examples_dir().join("invalid/persistence-changed.yaml"));
    assert_eq!(cel_errors(&value, None), Vec::<String>::new());
    let (_, same) = load(&examples_dir().join("cache.yaml"));
    assert_eq!(cel_errors(&same, Some(&same)), Vec::<String>::new());
}

/// An empty spec gets the documented defaults, in the types as in the schema.
#[test]
fn minimal_example_gets_the_defaults() {
    let (_, value) = load(&examples_dir().join("minimal.yaml"));
    let rrs: RedisReplicaSet = serde_json::from_value(value).expect("parses");
    assert_eq!(rrs.spec.replicas, 2);
    assert_eq!(rrs.spec.sentinel, rrs_crds::SentinelSpec::default());
    assert_eq!(
        (rrs.spec.sentinel.replicas, rrs.spec.sentinel.quorum),
        (3, 2)
    );
    assert!(rrs.spec.persistence.enabled);
    assert_eq!(rrs.spec.persistence.size.0, "1Gi");
    assert_eq!(rrs.spec.auth.secret_name, None);
}
