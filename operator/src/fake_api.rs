//! A small in-memory Kubernetes API server for reconcile tests: kube's `Client` runs
//! over a `tower_test::mock::pair`, and this task answers its requests from a map of
//! objects keyed by URL path. It implements what the operator uses: get, list with a
//! label selector, create (409 when present), apply and merge patches (merged into the
//! stored object), replace with the resourceVersion precondition (409 when stale),
//! delete, and the status subresource. Watches are held open and get an event for
//! every change of a matching object, so kube's real `Controller` runs against it.
//! Every request is recorded; failures can be injected for the next request matching
//! a method and path.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body::Frame;
use kube::client::Body;
use kube::Client;
use serde_json::{json, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub uri: String,
    pub body: Option<Value>,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<String, Value>,
    requests: Vec<Recorded>,
    failures: Vec<(Method, String, u16)>,
    version: u64,
    watches: Vec<Watch>,
}

/// An open watch: collection path, label selector, where to send events.
type Watch = (String, Selector, UnboundedSender<Bytes>);
type Selector = Vec<(String, String)>;

impl State {
    /// Sends a watch event to every open watch the object matches.
    fn notify(&mut self, path: &str, kind: &str, obj: &Value) {
        let Some((collection, _)) = path.rsplit_once('/') else {
            return;
        };
        let line = Bytes::from(format!("{}\n", json!({"type": kind, "object": obj})));
        self.watches.retain(|(c, selector, tx)| {
            if c != collection || !matches(obj, selector) {
                return !tx.is_closed();
            }
            tx.send(line.clone()).is_ok()
        });
    }
}

fn matches(obj: &Value, selector: &[(String, String)]) -> bool {
    selector
        .iter()
        .all(|(k, want)| obj["metadata"]["labels"][k] == json!(want))
}

/// A response body: whole, or a held-open watch stream.
pub enum FakeBody {
    Full(Option<Bytes>),
    Watch(UnboundedReceiver<Bytes>),
}

impl http_body::Body for FakeBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            FakeBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            FakeBody::Watch(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }
}

#[derive(Clone, Default)]
pub struct FakeApi {
    state: Arc<Mutex<State>>,
}

impl FakeApi {
    /// A client whose requests this fake answers (until the client is dropped).
    pub fn client(&self) -> Client {
        let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<FakeBody>>();
        let me = self.clone();
        tokio::spawn(async move {
            while let Some((request, send)) = handle.next_request().await {
                let (parts, body) = request.into_parts();
                let uri = parts.uri.to_string();
                let bytes = body.collect_bytes().await.unwrap_or_default();
                let body: Option<Value> = serde_json::from_slice(&bytes).ok();
                let reply = match me.watch(&parts.method, &uri) {
                    Some(stream) => (StatusCode::OK, FakeBody::Watch(stream)),
                    None => {
                        let (code, json) = me.handle(&parts.method, &uri, body);
                        let bytes = Bytes::from(serde_json::to_vec(&json).unwrap_or_default());
                        (code, FakeBody::Full(Some(bytes)))
                    }
                };
                let mut response = Response::new(reply.1);
                *response.status_mut() = reply.0;
                send.send_response(response);
            }
        });
        Client::new(service, "default")
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores an object at its path (for pods, and for what "another writer" did).
    pub fn put(&self, path: &str, mut obj: Value) {
        let mut s = self.lock();
        s.version += 1;
        obj["metadata"]["resourceVersion"] = json!(s.version.to_string());
        let kind = if s.objects.contains_key(path) {
            "MODIFIED"
        } else {
            "ADDED"
        };
        s.notify(path, kind, &obj);
        s.objects.insert(path.to_string(), obj);
    }

    pub fn get(&self, path: &str) -> Option<Value> {
        self.lock().objects.get(path).cloned()
    }

    pub fn delete(&self, path: &str) {
        let mut s = self.lock();
        if let Some(obj) = s.objects.remove(path) {
            s.notify(path, "DELETED", &obj);
        }
    }

    pub fn paths(&self) -> Vec<String> {
        self.lock().objects.keys().cloned().collect()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The next request with this method and a path containing `path` gets `code`.
    pub fn fail_next(&self, method: Method, path: &str, code: u16) {
        self.lock().failures.push((method, path.to_string(), code));
    }

    /// A watch request: recorded and held open.
    fn watch(&self, method: &Method, uri: &str) -> Option<UnboundedReceiver<Bytes>> {
        let (path, query) = uri.split_once('?')?;
        if *method != Method::GET || !query.split('&').any(|kv| kv == "watch=true") {
            return None;
        }
        let (tx, rx) = unbounded_channel();
        let mut s = self.lock();
        s.requests.push(Recorded {
            method: method.clone(),
            uri: uri.to_string(),
            body: None,
        });
        s.watches
            .push((path.to_string(), label_selector(query), tx));
        Some(rx)
    }

    fn handle(&self, method: &Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut s = self.lock();
        s.requests.push(Recorded {
            method: method.clone(),
            uri: uri.to_string(),
            body: body.clone(),
        });
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        if let Some(i) = s
            .failures
            .iter()
            .position(|(m, p, _)| m == method && path.contains(p.as_str()))
        {
            let (_, _, code) = s.failures.remove(i);
            return status(code, "injected failure");
        }
        let (item, subresource) = match path.strip_suffix("/status") {
            Some(p) => (p, true),
            None => (path, false),
        };
        s.version += 1;
        let version = s.version.to_string();
        match *method {
            Method::GET if s.objects.contains_key(path) => {
                (StatusCode::OK, s.objects[path].clone())
            }
            Method::GET if is_collection(path) => {
                let selector = label_selector(query);
                let items: Vec<Value> = s
                    .objects
                    .iter()
                    .filter(|(k, _)| k.rsplit_once('/').is_some_and(|(dir, _)| dir == path))
                    .filter(|(_, v)| {
                        selector
                            .iter()
                            .all(|(k, want)| v["metadata"]["labels"][k] == json!(want))
                    })
                    .map(|(_, v)| v.clone())
                    .collect();
                (
                    StatusCode::OK,
                    json!({"metadata": {"resourceVersion": version}, "items": items}),
                )
            }
            Method::GET => status(404, "not found"),
            Method::POST => {
                let Some(mut obj) = body else {
                    return status(400, "no body");
                };
                let name = match obj["metadata"]["name"].as_str() {
                    Some(n) => n.to_string(),
                    None => format!(
                        "{}{version}",
                        obj["metadata"]["generateName"].as_str().unwrap_or("obj-")
                    ),
                };
                let key = format!("{path}/{name}");
                if s.objects.contains_key(&key) {
                    return status(409, "already exists");
                }
                obj["metadata"]["name"] = json!(name);
                obj["metadata"]["resourceVersion"] = json!(version);
                s.notify(&key, "ADDED", &obj);
                s.objects.insert(key, obj.clone());
                (StatusCode::CREATED, obj)
            }
            Method::PATCH => {
                let Some(patch) = body else {
                    return status(400, "no body");
                };
                let exists = s.objects.contains_key(item);
                if subresource && !exists {
                    return status(404, "not found");
                }
                let obj = s
                    .objects
                    .entry(item.to_string())
                    .or_insert_with(|| json!({}));
                let patch = if subresource {
                    json!({"status": patch["status"]})
                } else {
                    patch
                };
                merge(obj, &patch);
                obj["metadata"]["resourceVersion"] = json!(version);
                (StatusCode::OK, obj.clone())
            }
            Method::PUT => {
                let Some(mut obj) = body else {
                    return status(400, "no body");
                };
                let Some(current) = s.objects.get(item) else {
                    return status(404, "not found");
                };
                let want = &obj["metadata"]["resourceVersion"];
                if !want.is_null() && *want != current["metadata"]["resourceVersion"] {
                    return status(409, "the object has been modified");
                }
                obj["metadata"]["resourceVersion"] = json!(version);
                s.notify(item, "MODIFIED", &obj);
                s.objects.insert(item.to_string(), obj.clone());
                (StatusCode::OK, obj)
            }
            Method::DELETE => match s.objects.remove(item) {
                Some(obj) => {
                    s.notify(item, "DELETED", &obj);
                    (StatusCode::OK, obj)
                }
                None => status(404, "not found"),
            },
            _ => status(405, "method not allowed"),
        }
    }
}

/// Collections end in a plural resource name: an even count of segments after the
/// group/version prefix (`/api/v1/namespaces/x/pods`, `/apis/g/v/namespaces/x/kind`).
fn is_collection(path: &str) -> bool {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let rest = match segs.first() {
        Some(&"api") => segs.len().saturating_sub(2),
        Some(&"apis") => segs.len().saturating_sub(3),
        _ => return false,
    };
    rest % 2 == 1
}

fn label_selector(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("labelSelector="))
        .flat_map(|sel| {
            decode(sel)
                .split(',')
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter_map(|term| {
            term.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// JSON merge patch (RFC 7386): what both apply (for our own full objects) and merge
/// patches amount to here.
pub fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            for (k, v) in p {
                if v.is_null() {
                    if let Some(t) = target.as_object_mut() {
                        t.remove(k);
                    }
                } else {
                    merge(&mut target[k], v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn status(code: u16, message: &str) -> (StatusCode, Value) {
    let reason = match code {
        404 => "NotFound",
        409 => "Conflict",
        _ => "InternalError",
    };
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": message, "reason": reason, "code": code}),
    )
}
