//! The module contract is generic: a bounded context the core has never heard of — defined here,
//! outside the binary — contributes a migration, REST routes with their OpenAPI operations, a
//! seed step, an event handler, a configuration section, a constraint → error mapping and a
//! readiness check, and the core picks up every one of them. The guide `docs/how-to-add-a-module.md` walks through the
//! same pieces for a real context.

use std::sync::Arc;

use agora::{
    config::Config,
    modules::{Context, Module, Registry, SeedStep},
};
use agora_adapters::{
    on_pool, on_writer,
    store::{map_sqlx_error, migrations::Migration, Database},
};
use agora_app::{AppError, OnConstraint};
use agora_domain::{
    event::EventEnvelope,
    ports::{BusError, EventHandler, Tx},
};
use agora_http::{ApiError, ApiJson, Check, CheckStatus};
use async_trait::async_trait;
use axum::{extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::support::{spawn_app_with, Backend, Spawn};

/// The example context: a guestbook where each name signs once.
struct Guestbook;

static GUESTBOOK: Guestbook = Guestbook;

static MIGRATIONS: &[Migration] = &[Migration::new(
    "guestbook",
    1,
    "0001_create_guestbook",
    (
        "CREATE TABLE guestbook_entries (name TEXT NOT NULL, CONSTRAINT guestbook_entries_name_key UNIQUE (name))",
        "DROP TABLE guestbook_entries",
    ),
    (
        "CREATE TABLE guestbook_entries (name text NOT NULL, CONSTRAINT guestbook_entries_name_key UNIQUE (name))",
        "DROP TABLE guestbook_entries",
    ),
)];

/// `[guestbook]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct GuestbookSettings {
    greeting: String,
}

impl Default for GuestbookSettings {
    fn default() -> Self {
        Self {
            greeting: "Welcome".into(),
        }
    }
}

impl Context for Guestbook {
    fn name(&self) -> &'static str {
        "guestbook"
    }
    fn description(&self) -> &'static str {
        "an example context"
    }
    fn standalone(&self) -> bool {
        true
    }
    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }
    fn openapi(&self) -> agora_http::openapi::Document {
        api().into_openapi()
    }
    fn config_section(&self) -> Option<&'static str> {
        Some("guestbook")
    }
    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(GuestbookModule {
            settings: config.section("guestbook")?,
        }))
    }
}

struct GuestbookModule {
    settings: GuestbookSettings,
}

#[derive(Clone)]
struct Book {
    db: Database,
    greeting: String,
}

/// Counts the users who joined, from identity's `user.created` events.
#[derive(Clone, Default)]
struct Newcomers(Arc<std::sync::Mutex<Vec<String>>>);

#[async_trait]
impl EventHandler for Newcomers {
    fn name(&self) -> &'static str {
        "guestbook-newcomers"
    }
    fn event_types(&self) -> &'static [&'static str] {
        &["user.created"]
    }
    async fn handle(&self, tx: &mut Tx, event: &EventEnvelope) -> Result<(), BusError> {
        // An effect outside the database happens after the inbox row commits with it.
        let email = event.data["email"].as_str().unwrap_or_default().to_owned();
        let seen = self.0.clone();
        tx.after_commit(move || seen.lock().unwrap().push(email));
        Ok(())
    }
}

#[async_trait]
impl Module for GuestbookModule {
    fn name(&self) -> &'static str {
        "guestbook"
    }
    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let book = Book {
            db: registry.get()?,
            greeting: self.settings.greeting.clone(),
        };
        registry.routes(api().with_state(book.clone()));
        registry.seed(Seed(book));
        let newcomers = Newcomers::default();
        registry.on_event(newcomers.clone());
        registry.provide(newcomers);
        Ok(())
    }
    async fn checks(&self) -> Vec<Check> {
        vec![Check {
            name: "guestbook".into(),
            status: CheckStatus::Up,
            latency_ms: None,
            reason: Some("example context reporting in".into()),
        }]
    }
}

struct Seed(Book);

#[async_trait]
impl SeedStep for Seed {
    fn name(&self) -> &'static str {
        "guestbook"
    }
    async fn run(&self) -> anyhow::Result<Vec<String>> {
        Ok(vec![match self.0.sign("Ada").await {
            Ok(()) => "created Ada's entry".into(),
            Err(AppError::Conflict { .. }) => "exists  Ada's entry".into(),
            Err(other) => return Err(other.into()),
        }])
    }
}

impl Book {
    async fn sign(&self, name: &str) -> Result<(), AppError> {
        on_writer!(&self.db, |pool| sqlx::query(
            "INSERT INTO guestbook_entries (name) VALUES ($1)"
        )
        .bind(name)
        .execute(pool)
        .await
        .map(drop))
        .map_err(map_sqlx_error)
        // Declared where the context writes: the core has no table of index names.
        .on_constraint("guestbook_entries_name_key", || {
            AppError::taken("name", "This name has signed already")
        })?;
        Ok(())
    }

    async fn count(&self) -> Result<i64, AppError> {
        let count: i64 = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM guestbook_entries"
        )
        .fetch_one(pool)
        .await)
        .map_err(map_sqlx_error)?;
        Ok(count)
    }
}

fn api() -> OpenApiRouter<Book> {
    OpenApiRouter::new()
        .routes(routes!(sign))
        .routes(routes!(entries))
}

#[derive(Deserialize, ToSchema)]
struct SignBody {
    name: String,
}

/// Sign the guestbook
#[utoipa::path(post, path = "/api/guestbook", tag = "guestbook", request_body = SignBody,
    responses((status = 201, description = "Signed"), (status = 409, description = "Signed already")))]
async fn sign(
    State(book): State<Book>,
    ApiJson(body): ApiJson<SignBody>,
) -> Result<StatusCode, ApiError> {
    book.sign(&body.name).await?;
    Ok(StatusCode::CREATED)
}

/// How many have signed
#[utoipa::path(get, path = "/api/guestbook", tag = "guestbook",
    responses((status = 200, description = "The greeting and the count")))]
async fn entries(State(book): State<Book>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "greeting": book.greeting, "count": book.count().await? }),
    ))
}

async fn a_context_defined_outside_the_core_is_fully_wired(backend: Backend) {
    let spawn = Spawn {
        contexts: vec![&GUESTBOOK],
        configure: Some(Box::new(|config: &mut Config| {
            config.set_section("guestbook", json!({ "greeting": "Hello" }));
        })),
        ..Spawn::default()
    };
    let app = spawn_app_with(backend, spawn).await;

    // Migration applied (its table is usable) and recorded under the context's name; config
    // section read; route served.
    let response = app.get("/api/guestbook").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "greeting": "Hello", "count": 0 }));

    // Seed step contributed.
    let steps: Vec<Arc<dyn SeedStep>> = app.service();
    let step = steps
        .iter()
        .find(|s| s.name() == "guestbook")
        .expect("seed step");
    assert_eq!(step.run().await.unwrap(), ["created Ada's entry"]);
    assert_eq!(step.run().await.unwrap(), ["exists  Ada's entry"]);

    // Constraint mapped where the context writes: the documented 409 shape, on both backends.
    let signed = app
        .post("/api/guestbook", None, &json!({ "name": "Bo" }))
        .await;
    assert_eq!(signed.status(), 201);
    let again = app
        .post("/api/guestbook", None, &json!({ "name": "Bo" }))
        .await;
    assert_eq!(again.status(), 409);
    let error: Value = again.json().await.unwrap();
    assert_eq!(error["code"], "conflict");
    assert_eq!(error["details"][0]["field"], "name");
    let body: Value = app.get("/api/guestbook").await.json().await.unwrap();
    assert_eq!(body["count"], 2);

    // Its operations are in the served document, beside the built-in ones.
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let item = &doc["paths"]["/api/guestbook"];
    assert!(
        item["get"].is_object() && item["post"].is_object(),
        "{item}"
    );
    assert!(doc["paths"]["/api/products"].is_object());

    // Its event handler sees what other contexts publish (identity's `user.created`).
    let created = app
        .post(
            "/api/users",
            None,
            &json!({ "email": "newcomer@example.org", "password": "Passw0rdX", "name": "New Comer" }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let newcomers: Newcomers = app.service();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !newcomers
        .0
        .lock()
        .unwrap()
        .contains(&"newcomer@example.org".to_owned())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no user.created within 10 s"
        );
        tokio::task::yield_now().await; // poll: until the relay delivered the event
    }

    // Its readiness check is part of /ready.
    let ready: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(ready["checks"]["guestbook"]["status"], "up", "{ready}");

    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_context_defined_outside_the_core_is_fully_wired_on_sqlite() {
    a_context_defined_outside_the_core_is_fully_wired(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_context_defined_outside_the_core_is_fully_wired_on_postgres() {
    a_context_defined_outside_the_core_is_fully_wired(Backend::Postgres).await;
}

#[test]
fn the_binary_s_own_document_knows_nothing_of_it() {
    let doc = serde_json::to_value(agora::modules::openapi("all").unwrap()).unwrap();
    assert!(doc["paths"].get("/api/guestbook").is_none());
}
