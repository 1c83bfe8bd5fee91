//! A small HTTP/1.1 server on 127.0.0.1 that answers the AWS Config JSON 1.1 protocol
//! (`X-Amz-Target: StarlingDoveService.<Operation>`, `application/x-amz-json-1.1`) from the
//! recorded response bodies in fixtures/aws-live/config/, and keeps every request it received.
//!
//! Responses are chosen per operation and resource type:
//! - `ListDiscoveredResources`: `list-<short>.json` for the first page, `list-<short>-2.json` when
//!   the request carries the `nextToken` of `list-<short>-1.json` (a type whose first page is in
//!   `list-<short>-1.json` is paged), `list-empty.json` for the types without fixtures;
//! - `BatchGetResourceConfig`: the n-th request for a type gets `batch-<short>-<n>.json`, or
//!   `batch-<short>.json` when the type has a single response;
//! - `ListAggregateDiscoveredResources` and `BatchGetAggregateResourceConfig` (which also need a
//!   `ConfigurationAggregatorName`): the same, from the files prefixed `aggregate-`. These two
//!   operations name their request and response members in PascalCase (`ResourceType`,
//!   `NextToken`, `ResourceIdentifiers`), the account ones in camelCase.
//!
//! An unknown operation, or more requests than recorded responses, is answered with a 400 error
//! in the service's error shape, so the client under test sees it as a failed call.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What the server does.
#[derive(Clone)]
pub(crate) enum Mode {
    /// Answers from the fixture files in this directory.
    Fixtures(PathBuf),
    /// Answers every request with `AccessDeniedException`.
    Deny,
}

/// One request received.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    /// `X-Amz-Target`.
    pub target: String,
    /// `Content-Type`.
    pub content_type: String,
    /// The JSON body.
    pub body: serde_json::Value,
}

/// A running server (its accept thread lives as long as the test process).
pub(crate) struct ConfigServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

struct State {
    mode: Mode,
    requests: Arc<Mutex<Vec<Request>>>,
    /// Batch-get calls so far, per short type name.
    batch_calls: BTreeMap<String, usize>,
}

impl ConfigServer {
    pub(crate) fn start(mode: Mode) -> ConfigServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(Mutex::new(State {
            mode,
            requests: Arc::clone(&requests),
            batch_calls: BTreeMap::new(),
        }));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&state);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        ConfigServer { url, requests }
    }

    /// Every request received so far, in order.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("lock").clone()
    }
}

/// Serves one connection: requests one after another (keep-alive) until the client closes it.
fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, payload) = answer(
            state,
            request_line.trim_end(),
            headers.get("x-amz-target").map(String::as_str).unwrap_or(""),
            headers.get("content-type").map(String::as_str).unwrap_or(""),
            &body,
        );
        let reason = if status == 200 { "OK" } else { "Bad Request" };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nx-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\n\r\n{payload}",
            payload.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
        if headers.get("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            return;
        }
    }
}

fn error(code: &str, message: &str) -> (u16, String) {
    (400, serde_json::json!({ "__type": code, "message": message }).to_string())
}

/// `AWS::IAM::Role` -> `role`, `AWS::ElasticLoadBalancingV2::TargetGroup` -> `tg`.
fn short(resource_type: &str) -> String {
    match resource_type.rsplit("::").next().unwrap_or("") {
        "LoadBalancer" => "lb".into(),
        "TargetGroup" => "tg".into(),
        other => other.to_ascii_lowercase(),
    }
}

fn answer(
    state: &Mutex<State>,
    request_line: &str,
    target: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, String) {
    let mut state = state.lock().expect("lock");
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    state.requests.lock().expect("lock").push(Request {
        target: target.to_owned(),
        content_type: content_type.to_owned(),
        body: json.clone(),
    });
    if !request_line.starts_with("POST / ") {
        return error("ValidationException", &format!("unexpected request line `{request_line}`"));
    }
    let dir = match &state.mode {
        Mode::Deny => {
            let operation = target.rsplit('.').next().unwrap_or(target);
            return error(
                "AccessDeniedException",
                &format!(
                    "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: config:{operation}"
                ),
            );
        }
        Mode::Fixtures(dir) => dir.clone(),
    };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    match target {
        "StarlingDoveService.ListDiscoveredResources" => {
            list_page(&read, "", &json["resourceType"], json["nextToken"].as_str())
        }
        "StarlingDoveService.ListAggregateDiscoveredResources" => {
            if let Some(bad) = no_aggregator(&json) {
                return bad;
            }
            list_page(&read, "aggregate-", &json["ResourceType"], json["NextToken"].as_str())
        }
        "StarlingDoveService.BatchGetResourceConfig" => {
            let keys =
                match batch_keys(&json["resourceKeys"], "resourceKeys", &["resourceType", "resourceId"]) {
                    Ok(keys) => keys,
                    Err(bad) => return bad,
                };
            let t = short(keys[0]["resourceType"].as_str().unwrap_or(""));
            batch_answer(&mut state, &read, "", &t)
        }
        "StarlingDoveService.BatchGetAggregateResourceConfig" => {
            if let Some(bad) = no_aggregator(&json) {
                return bad;
            }
            let required = ["SourceAccountId", "SourceRegion", "ResourceId", "ResourceType"];
            let keys = match batch_keys(&json["ResourceIdentifiers"], "ResourceIdentifiers", &required) {
                Ok(keys) => keys,
                Err(bad) => return bad,
            };
            let t = short(keys[0]["ResourceType"].as_str().unwrap_or(""));
            batch_answer(&mut state, &read, "aggregate-", &t)
        }
        other => error("UnknownOperationException", &format!("operation {other} is not served here")),
    }
}

/// A list call's answer: `<prefix>list-<short>.json`, or the two pages `<prefix>list-<short>-1.json`
/// and `-2.json` (the second for the first page's token), or `<prefix>list-empty.json`.
fn list_page(
    read: &dyn Fn(&str) -> Option<String>,
    prefix: &str,
    resource_type: &serde_json::Value,
    token: Option<&str>,
) -> (u16, String) {
    let t = short(resource_type.as_str().unwrap_or(""));
    if let Some(first) = read(&format!("{prefix}list-{t}-1.json")) {
        let page: serde_json::Value = serde_json::from_str(&first).expect("fixture JSON");
        // The account API names the token `nextToken`, the aggregate one `NextToken`.
        let expected = page.get("nextToken").or_else(|| page.get("NextToken")).and_then(|v| v.as_str());
        return match token {
            None => (200, first),
            Some(tk) if Some(tk) == expected => {
                (200, read(&format!("{prefix}list-{t}-2.json")).expect("second page fixture"))
            }
            Some(_) => error("InvalidNextTokenException", "The nextToken is not valid"),
        };
    }
    if token.is_some() {
        return error("InvalidNextTokenException", "The nextToken is not valid");
    }
    let body = read(&format!("{prefix}list-{t}.json")).or_else(|| read(&format!("{prefix}list-empty.json")));
    (200, body.expect("list fixture"))
}

/// The keys of a batch-get request: 1 to 100, all of one resource type, each with the fields
/// the API requires.
fn batch_keys<'a>(
    keys: &'a serde_json::Value,
    field: &str,
    required: &[&str],
) -> Result<&'a Vec<serde_json::Value>, (u16, String)> {
    let invalid = || error("ValidationException", &format!("{field} must hold 1 to 100 keys"));
    let keys = keys.as_array().filter(|k| (1..=100).contains(&k.len())).ok_or_else(invalid)?;
    for key in keys {
        if let Some(missing) = required.iter().find(|f| !key[**f].is_string()) {
            return Err(error("ValidationException", &format!("a key of {field} has no {missing}")));
        }
    }
    let type_field = required.iter().find(|f| f.eq_ignore_ascii_case("resourceType")).expect("a type field");
    if keys.iter().any(|k| k[*type_field] != keys[0][*type_field]) {
        return Err(error("ValidationException", "the server only serves batches of one resource type"));
    }
    Ok(keys)
}

/// The n-th batch-get of a type: `<prefix>batch-<short>-<n>.json`, or `<prefix>batch-<short>.json`
/// for the first.
fn batch_answer(
    state: &mut State,
    read: &dyn Fn(&str) -> Option<String>,
    prefix: &str,
    t: &str,
) -> (u16, String) {
    let n = {
        let calls = state.batch_calls.entry(format!("{prefix}{t}")).or_default();
        *calls += 1;
        *calls
    };
    match read(&format!("{prefix}batch-{t}-{n}.json"))
        .or_else(|| if n == 1 { read(&format!("{prefix}batch-{t}.json")) } else { None })
    {
        Some(body) => (200, body),
        None => error("ValidationException", &format!("no recorded response for batch {n} of {prefix}{t}")),
    }
}

/// The aggregate operations need `ConfigurationAggregatorName`.
fn no_aggregator(json: &serde_json::Value) -> Option<(u16, String)> {
    let named = json["ConfigurationAggregatorName"].as_str().is_some_and(|n| !n.is_empty());
    (!named).then(|| error("ValidationException", "ConfigurationAggregatorName is required"))
}
