//! Server-side apply with the operator's one field manager.

use kube::api::{Api, Patch, PatchParams};
use kube::Resource;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::names::FIELD_MANAGER;
use crate::{Error, Result};

/// Applies `obj` (which carries its name) as the operator's field manager, forcing
/// ownership of the fields it sets: the operator is their only rightful writer.
pub async fn apply<K>(api: &Api<K>, obj: &K) -> Result<K>
where
    K: Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    let name = obj
        .meta()
        .name
        .clone()
        .ok_or(Error::MissingField("metadata.name"))?;
    let params = PatchParams::apply(FIELD_MANAGER).force();
    Ok(api.patch(&name, &params, &Patch::Apply(obj)).await?)
}
