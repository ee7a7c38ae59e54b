//! A Lambda runtime API emulator (the interface AWS documents at
//! `/2018-06-01/runtime/invocation/…`) and real API Gateway events, to drive `agora lambda` as
//! Lambda would: the binary polls `next`, answers through `response` or `error`.

use std::{
    collections::HashMap,
    path::Path,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use axum::{
    extract::{Path as UrlPath, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use base64::Engine as _;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Mutex};

/// How the function answered one invocation.
#[derive(Debug)]
pub enum Outcome {
    /// `POST …/response`: the API Gateway response JSON.
    Response(Value),
    /// `POST …/error`: the runtime's error report.
    Error(Value),
}

#[derive(Default)]
struct Shared {
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
}

#[derive(Clone)]
struct Emulator {
    shared: Arc<Shared>,
    events: Arc<Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
}

/// The runtime API on a free port, and the function process it serves.
pub struct LambdaRuntime {
    pub address: String,
    queue: mpsc::UnboundedSender<(String, Value)>,
    shared: Arc<Shared>,
    function: Option<Child>,
}

impl Drop for LambdaRuntime {
    fn drop(&mut self) {
        if let Some(mut child) = self.function.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn next(State(emulator): State<Emulator>) -> impl IntoResponse {
    let (id, event) = emulator
        .events
        .lock()
        .await
        .recv()
        .await
        .expect("the test keeps the queue open");
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", id.parse().unwrap());
    headers.insert("lambda-runtime-deadline-ms", deadline.into());
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:agora"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-5e1b4151-5ac6c58f3c7d5a4e7a6c2b0e;Parent=1;Sampled=0"
            .parse()
            .unwrap(),
    );
    (headers, Json(event))
}

async fn settle(emulator: &Emulator, id: &str, outcome: Outcome) -> StatusCode {
    match emulator.shared.waiting.lock().await.remove(id) {
        Some(waiter) => {
            let _ = waiter.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn respond(
    State(emulator): State<Emulator>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    settle(&emulator, &id, Outcome::Response(value)).await
}

async fn fail(
    State(emulator): State<Emulator>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    settle(&emulator, &id, Outcome::Error(value)).await
}

impl LambdaRuntime {
    /// The emulator, listening; no function yet.
    pub async fn start() -> Self {
        let (queue, events) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        let emulator = Emulator {
            shared: shared.clone(),
            events: Arc::new(Mutex::new(events)),
        };
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .with_state(emulator);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            address,
            queue,
            shared,
            function: None,
        }
    }

    /// Starts `agora lambda` with `args` against this runtime API, its data in `dir`.
    pub fn launch(&mut self, dir: &Path, args: &[&str], env: &[(&str, String)]) {
        let mut command = lambda_command(dir, &self.address);
        command.arg("lambda").args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        self.function = Some(command.spawn().expect("agora lambda starts"));
    }

    /// One invocation with `event`; what the function answered.
    pub async fn invoke(&self, event: Value) -> Outcome {
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        self.shared.waiting.lock().await.insert(id.clone(), tx);
        self.queue.send((id, event)).expect("emulator running");
        tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("the function answered within 30 s")
            .expect("answer")
    }

    /// An invocation that must succeed: (status, headers, body as JSON or Null).
    pub async fn http(&self, event: Value) -> (u16, Value, Value) {
        match self.invoke(event).await {
            Outcome::Response(response) => {
                let status = response["statusCode"].as_u64().expect("statusCode") as u16;
                let text = response["body"].as_str().unwrap_or_default();
                let bytes = if response["isBase64Encoded"] == true {
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .expect("base64 body")
                } else {
                    text.as_bytes().to_vec()
                };
                let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                // v2 answers carry `headers`; v1 answers `multiValueHeaders` (lists).
                let mut headers = response["headers"].as_object().cloned().unwrap_or_default();
                if let Some(multi) = response["multiValueHeaders"].as_object() {
                    for (name, values) in multi {
                        headers.insert(name.clone(), values[0].clone());
                    }
                }
                (status, Value::Object(headers), body)
            }
            Outcome::Error(error) => panic!("invocation failed: {error}"),
        }
    }
}

/// `agora` with a clean environment: the test's data dir, cheap hashing, Lambda's variables.
pub fn lambda_command(dir: &Path, runtime_api: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AGORA_") || key.starts_with("AWS_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
        .current_dir(dir)
        .env("AGORA_DATA_DIR", dir.join("data"))
        .env("AGORA_PASSWORD_HASH__MEMORY_KIB", "64")
        .env("AGORA_PASSWORD_HASH__ITERATIONS", "1")
        .env("AGORA_RATE_LIMIT__ENABLED", "false")
        .env("AGORA_LOG", "warn")
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "agora")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    command
}

/// Which API Gateway sends the event.
#[derive(Debug, Clone, Copy)]
pub enum Gateway {
    /// REST API, payload format 1.0.
    V1,
    /// HTTP API, payload format 2.0.
    V2,
}

/// An event as API Gateway sends it for `method path?query` with `headers` and a JSON `body`
/// (the shapes of AWS's sample events: `apigateway-aws-proxy` and `apigatewayv2-http-api`).
pub fn event(
    gateway: Gateway,
    method: &str,
    path_and_query: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Value {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut headers = json!({
        "accept": "application/json",
        "host": "abc123.execute-api.us-east-1.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-forwarded-for": "198.51.100.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https"
    });
    if body.is_some() {
        headers["content-type"] = "application/json".into();
    }
    if let Some(token) = token {
        headers["authorization"] = format!("Bearer {token}").into();
    }
    let body = body.map(Value::to_string);
    let pairs: Vec<(String, String)> = reqwest::Url::parse(&format!("http://h/?{query}"))
        .expect("query")
        .query_pairs()
        .into_owned()
        .collect();
    match gateway {
        Gateway::V1 => {
            let single: serde_json::Map<String, Value> = pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect();
            let multi: serde_json::Map<String, Value> =
                pairs.iter().map(|(k, v)| (k.clone(), json!([v]))).collect();
            let multi_headers: serde_json::Map<String, Value> = headers
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), json!([v])))
                .collect();
            json!({
                "resource": "/{proxy+}",
                "path": path,
                "httpMethod": method,
                "headers": headers,
                "multiValueHeaders": multi_headers,
                "queryStringParameters": if single.is_empty() { Value::Null } else { Value::Object(single) },
                "multiValueQueryStringParameters": if multi.is_empty() { Value::Null } else { Value::Object(multi) },
                "pathParameters": { "proxy": path.trim_start_matches('/') },
                "stageVariables": null,
                "requestContext": {
                    "accountId": "123456789012",
                    "resourceId": "123456",
                    "stage": "prod",
                    "requestId": uuid::Uuid::new_v4().to_string(),
                    "requestTime": "09/Apr/2015:12:34:56 +0000",
                    "requestTimeEpoch": 1428582896000_i64,
                    "identity": {
                        "cognitoIdentityPoolId": null, "accountId": null, "cognitoIdentityId": null,
                        "caller": null, "accessKey": null, "sourceIp": "198.51.100.7",
                        "cognitoAuthenticationType": null, "cognitoAuthenticationProvider": null,
                        "userArn": null, "userAgent": "curl/8.5.0", "user": null
                    },
                    "path": format!("/prod{path}"),
                    "resourcePath": "/{proxy+}",
                    "httpMethod": method,
                    "apiId": "abc123",
                    "protocol": "HTTP/1.1"
                },
                "body": body,
                "isBase64Encoded": false
            })
        }
        Gateway::V2 => json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": query,
            "cookies": [],
            "headers": headers,
            "queryStringParameters": if pairs.is_empty() { Value::Null } else {
                Value::Object(pairs.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect())
            },
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                "domainPrefix": "abc123",
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "198.51.100.7",
                    "userAgent": "curl/8.5.0"
                },
                "requestId": "JKJaXmPLvHcESHA=",
                "routeKey": "$default",
                "stage": "$default",
                "time": "10/Mar/2020:05:16:23 +0000",
                "timeEpoch": 1583817383220_i64
            },
            "body": body,
            "isBase64Encoded": false
        }),
    }
}
