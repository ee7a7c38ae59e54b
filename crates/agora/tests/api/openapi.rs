//! The OpenAPI document: served at `/api/openapi.json`, browsable offline at `/api/docs`, printed
//! by `agora openapi`, and complete.
//!
//! # How completeness is checked
//!
//! Modules declare each route together with its operation (`OpenApiRouter::routes(routes!(h))`),
//! but a route added with plain `.route(…)` bypasses the document. So the routes the started
//! modules really contributed, composed with the core's exactly as the server composes them
//! (`agora_http::served_routes`), are read from axum's `Debug` output — each route's path and
//! `Allow` methods — and compared with the document in both directions (routed but not
//! documented fails; documented but not routed fails too). The parser is first checked against
//! routes known to exist, so if an axum upgrade changes that output the test fails loudly
//! instead of passing on an empty list.
//!
//! Then the running app is probed: every documented path must answer 405 to a method it does not
//! document, which shows that the composed app serves the path. The paths deliberately left out
//! of the document are `agora_http::openapi::UNDOCUMENTED` (the Swagger UI); they are probed to
//! exist and checked to be absent from the document.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use agora::{config::Config, Application, Wiring};
use agora_http::{Check, ReadinessProbe, RestApi};
use axum::Router;
use serde_json::Value;

use crate::support::{spawn_app, test_config, Backend, TestStore};

/// Readiness is not under test here; the probe only completes the router.
struct NoChecks;

#[async_trait::async_trait]
impl ReadinessProbe for NoChecks {
    async fn checks(&self) -> Vec<Check> {
        Vec::new()
    }
}

/// `(METHOD, path)`.
type Operation = (String, String);

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn documented(doc: &Value) -> BTreeSet<Operation> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths is an object") {
        for method in METHODS {
            if item.get(method.to_ascii_lowercase()).is_some() {
                operations.insert((method.to_owned(), path.clone()));
            }
        }
    }
    operations
}

/// The operations of `router`, read from its `Debug` output (see the module docs). A route that is
/// a whole service rather than a method router answers every method; it is reported as `*`.
fn routes_of(router: &Router) -> BTreeSet<Operation> {
    let text = format!("{router:?}");
    // The main path router only; the fallback router holds axum's internal catch-alls.
    let main = text.split("fallback_router:").next().unwrap_or_default();
    let (endpoints, nodes) = main.split_once("node: Node").unwrap_or((main, ""));

    let mut paths = BTreeMap::new();
    for entry in nodes.split("RouteId(").skip(1) {
        if let Some((id, rest)) = entry.split_once("): \"") {
            let path = rest.split('"').next().unwrap_or_default();
            paths.insert(id.to_owned(), path.to_owned());
        }
    }

    let mut operations = BTreeSet::new();
    for entry in endpoints.split("RouteId(").skip(1) {
        let Some((id, endpoint)) = entry.split_once("): ") else {
            continue;
        };
        let path = paths
            .get(id)
            .unwrap_or_else(|| panic!("route {id} has no path in axum's Debug output:\n{text}"));
        let methods: Vec<String> = if endpoint.starts_with("MethodRouter(") {
            match endpoint
                .split_once("allow_header: Bytes(b\"")
                .and_then(|(_, allow)| allow.split('"').next())
            {
                Some(allow) => allow.split(',').map(str::to_owned).collect(),
                // `Skip`: a method router built with `any(…)` answers every method.
                None if endpoint.contains("allow_header: Skip") => vec!["*".to_owned()],
                None => Vec::new(),
            }
        } else {
            vec!["*".to_owned()]
        };
        let has_get = methods.iter().any(|m| m == "GET");
        for method in methods {
            // axum answers HEAD for every GET route by itself.
            if !(method == "HEAD" && has_get) {
                operations.insert((method, path.clone()));
            }
        }
    }
    operations
}

fn list(operations: &BTreeSet<Operation>) -> String {
    operations
        .iter()
        .map(|(method, path)| format!("\n  {method} {path}"))
        .collect()
}

/// A concrete URL path for a template: `{id}` and the like become a UUID.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                uuid::Uuid::now_v7().to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_routed_operation_is_documented_and_every_documented_one_is_routed() {
    let doc = serde_json::to_value(agora::modules::openapi("all").unwrap()).unwrap();
    let documented = documented(&doc);

    let store = TestStore::create(Backend::Sqlite).await;
    let config: Config = test_config(&store);
    let app = Application::start(&config, "all", Wiring::default())
        .await
        .expect("application starts");

    let contributed: Vec<RestApi> = app.registry().get().unwrap_or_default();
    let (served, served_doc) =
        agora_http::served_routes(contributed, Arc::new(NoChecks), vec![], None);
    assert_eq!(
        serde_json::to_value(served_doc).unwrap(),
        doc,
        "the monolith serves the document `agora openapi` prints"
    );
    let parsed: BTreeSet<Operation> = routes_of(&served);
    for known in [("POST", "/api/users"), ("PATCH", "/api/admin/users/{id}")] {
        let known = (known.0.to_owned(), known.1.to_owned());
        assert!(
            parsed.contains(&known),
            "the route parser no longer understands axum's Debug output (did not find {known:?}); \
             update `routes_of`. It found:{}",
            list(&parsed)
        );
    }
    let routed: BTreeSet<Operation> = parsed
        .iter()
        .filter(|(_, path)| !agora_http::openapi::UNDOCUMENTED.contains(&path.as_str()))
        // The service-to-service API is internal (ADR 0030): served, signed, never published.
        .filter(|(_, path)| !path.starts_with("/internal/"))
        .cloned()
        .collect();
    assert!(
        parsed
            .iter()
            .any(|(_, path)| path.starts_with("/internal/"))
            && documented
                .iter()
                .all(|(_, path)| !path.starts_with("/internal/")),
        "the internal API is routed and absent from the document"
    );

    let undocumented: BTreeSet<Operation> = routed.difference(&documented).cloned().collect();
    assert!(
        undocumented.is_empty(),
        "routed but missing from the OpenAPI document (give the handler #[utoipa::path] and route \
         it with `.routes(routes!(handler))` in its module's `api()`):{}",
        list(&undocumented)
    );
    let phantom: BTreeSet<Operation> = documented.difference(&routed).cloned().collect();
    assert!(
        phantom.is_empty(),
        "documented but not routed:{}",
        list(&phantom)
    );

    // The composed app serves every documented path: a method the document does not list there
    // is refused with 405 (an unrouted path would be the fallback's 404).
    let client = reqwest::Client::new();
    let base = format!("http://{}", app.local_addr());
    let paths: BTreeSet<&String> = documented.iter().map(|(_, path)| path).collect();
    for path in paths {
        let other = METHODS
            .iter()
            .find(|m| !documented.contains(&((**m).to_owned(), path.clone())))
            .expect("some method is not documented");
        let response = client
            .request(other.parse().unwrap(), format!("{base}{}", concrete(path)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{other} {path}");
    }
    // The deliberately undocumented paths exist and are absent from the document.
    for path in agora_http::openapi::UNDOCUMENTED {
        assert!(doc["paths"].get(path).is_none(), "{path} is documented");
    }
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for url in ["/api/docs", "/api/docs/", "/api/docs/swagger-ui.css"] {
        let status = no_redirects
            .get(format!("{base}{url}"))
            .send()
            .await
            .unwrap()
            .status();
        assert!(
            status.is_success() || status.is_redirection(),
            "{url}: {status}"
        );
    }

    app.run_until(async {}).await.unwrap();
}

#[tokio::test]
async fn the_document_is_served_as_openapi_3_1() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let served: Value = response.json().await.unwrap();
    assert!(
        served["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        served["openapi"]
    );
    assert_eq!(
        served,
        serde_json::to_value(agora::modules::openapi("all").unwrap()).unwrap()
    );
    // What clients rely on to authenticate and to read errors.
    let bearer = &served["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (&bearer["type"], &bearer["scheme"], &bearer["bearerFormat"]),
        (&"http".into(), &"bearer".into(), &"JWT".into())
    );
    assert_eq!(
        served["paths"]["/api/users/me"]["get"]["security"],
        serde_json::json!([{ "bearerAuth": [] }])
    );
    let error_body = &served["components"]["schemas"]["ErrorBody"];
    for field in ["error", "code", "details", "requestId"] {
        assert!(error_body["properties"].get(field).is_some(), "{field}");
    }
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_docs_page_works_offline() {
    let app = spawn_app(Backend::Sqlite).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Without the slash the page's relative asset links would resolve one level up.
    let response = client.get(app.url("/api/docs")).send().await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/api/docs/");

    let response = app.get("/api/docs").await; // reqwest follows the redirect
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");

    // Every asset the page loads is a local path served by the app itself.
    let assets: Vec<&str> = ["src=\"", "href=\""]
        .iter()
        .flat_map(|attr| html.split(attr).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(assets.len() >= 4, "{assets:?}");
    for asset in assets {
        assert!(
            !asset.contains("://") && !asset.starts_with("//"),
            "the page loads {asset} from elsewhere"
        );
        let url = app.url(&format!("/api/docs/{}", asset.trim_start_matches("./")));
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
    }
    // The script that starts the UI points it at our document and at nothing remote (no
    // validator badge from validator.swagger.io).
    let initializer = app
        .get("/api/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/api/openapi.json"), "{initializer}");
    assert!(
        !initializer.contains("http://") && !initializer.contains("https://"),
        "{initializer}"
    );
    app.shutdown().await.unwrap();
}

#[test]
fn agora_openapi_prints_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let output = crate::cli::agora(dir.path())
        .arg("openapi")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert!(!printed["paths"].as_object().unwrap().is_empty());
    assert_eq!(
        printed,
        serde_json::to_value(agora::modules::openapi("all").unwrap()).unwrap()
    );
    // Static: it needs no configuration and touches no database.
    assert!(!dir.path().join("data").exists());
}
