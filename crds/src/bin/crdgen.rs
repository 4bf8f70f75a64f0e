//! Prints the RedisReplicaSet CRD as YAML: `cargo run -p rrs-crds --bin rrs-crdgen >
//! crds/redisreplicasets.rrs.dev.yaml` (or `UPDATE_CRDS=1 cargo test -p rrs-crds`).

fn main() -> std::process::ExitCode {
    match rrs_crds::yaml::crd_yaml() {
        Ok(yaml) => {
            print!("{yaml}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rrs-crdgen: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
