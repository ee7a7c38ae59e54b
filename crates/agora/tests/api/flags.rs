//! Feature flags (API.md "Platform"): administration and its validation, what `GET /api/flags`
//! answers to users and anonymous visitors, targeting, and how fast a change reaches the cached
//! evaluations of the same replica and of another replica.

use std::time::{Duration, Instant};

use agora_adapters::flags::SqlFlagRepository;
use agora_domain::{
    flags::{bucket, FlagKey},
    identity::{Role, Tier},
    ports::FlagRepository,
};
use reqwest::{header::SET_COOKIE, Method, Response};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    both_backends,
    support::{self, spawn_app_with, Backend, Spawn, TestApp},
};

const FLAGS: &str = "/api/flags";
const ADMIN_FLAGS: &str = "/api/admin/flags";
const PASSWORD: &str = "Secret123";

/// Sends `method path` with an optional bearer token and JSON body.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request failed")
}

/// Asserts status and API.md error code, returns the body.
async fn assert_error(response: Response, status: u16, code: &str) -> Value {
    let actual = response.status();
    let body: Value = response.json().await.expect("error JSON");
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    body
}

/// The `field` of every entry of `details`.
fn detail_fields(body: &Value) -> Vec<String> {
    let details = body["details"].as_array().expect("details array");
    details
        .iter()
        .map(|d| d["field"].as_str().expect("field").to_owned())
        .collect()
}

/// Creates a flag as `token` and returns it; the request must answer 201.
async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let response = send(app, Method::POST, ADMIN_FLAGS, Some(token), Some(&body)).await;
    let status = response.status();
    let created: Value = response.json().await.expect("flag JSON");
    assert_eq!(status, 201, "{created}");
    created
}

/// Changes a flag as `token`; the request must answer 200.
async fn patch(app: &TestApp, token: &str, key: &str, body: Value) -> Value {
    let path = format!("{ADMIN_FLAGS}/{key}");
    let response = send(app, Method::PATCH, &path, Some(token), Some(&body)).await;
    let status = response.status();
    let changed: Value = response.json().await.expect("flag JSON");
    assert_eq!(status, 200, "{changed}");
    changed
}

/// `GET /api/flags` as a user (token) or a visitor (cookie value): the answers and the
/// `Set-Cookie` header, if any.
async fn evaluated(
    app: &TestApp,
    token: Option<&str>,
    visitor: Option<&str>,
) -> (Value, Option<String>) {
    let mut request = app.client.get(app.url(FLAGS));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(visitor) = visitor {
        request = request.header("cookie", format!("theme=dark; agora_vid={visitor}"));
    }
    let response = request.send().await.expect("request failed");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .map(|v| v.to_str().expect("ASCII cookie").to_owned());
    (response.json().await.expect("flags JSON"), cookie)
}

/// A fresh account of `role` and `tier`, logged in: `(access token, id)`.
async fn account(app: &TestApp, role: Role, tier: Tier) -> (String, Uuid) {
    let email = format!("{}@flags.example", Uuid::new_v4().simple());
    app.create_user(&email, PASSWORD, role, tier).await;
    let session = app.login(&email, PASSWORD).await;
    let token = session["accessToken"].as_str().expect("token").to_owned();
    let id = session["user"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    (token, id)
}

/// Polls `GET /api/flags` for `visitor` until `key` answers `expected`; panics after `deadline`.
async fn wait_for_answer(
    app: &TestApp,
    visitor: &str,
    key: &str,
    expected: Option<bool>,
    deadline: Duration,
) {
    let until = Instant::now() + deadline;
    loop {
        let (answers, _) = evaluated(app, None, Some(visitor)).await;
        if answers.get(key).and_then(Value::as_bool) == expected {
            return;
        }
        assert!(
            Instant::now() < until,
            "`{key}` still {answers} after {deadline:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await; // poll: until the answer changes
    }
}

async fn administrators_create_list_change_and_delete_flags(app: TestApp) {
    let admin = app.admin_token().await;
    let user_id = Uuid::now_v7();
    let created = create(
        &app,
        &admin,
        json!({
            "key": "new-checkout-flow",
            "description": "  New checkout flow (canary)  ",
            "enabled": true,
            "rolloutPercent": 10,
            "roles": ["user", "admin", "user"],
            "tiers": ["pro"],
            "userIds": [user_id],
        }),
    )
    .await;
    assert_eq!(created["key"], "new-checkout-flow");
    assert_eq!(created["description"], "New checkout flow (canary)");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["rolloutPercent"], 10);
    assert_eq!(created["roles"], json!(["user", "admin"]));
    assert_eq!(created["tiers"], json!(["pro"]));
    assert_eq!(created["userIds"], json!([user_id]));
    assert!(created["createdAt"].is_string() && created["updatedAt"].is_string());
    create(
        &app,
        &admin,
        json!({"key": "dark-mode", "enabled": false, "rolloutPercent": 0}),
    )
    .await;

    let list: Value = send(&app, Method::GET, ADMIN_FLAGS, Some(&admin), None)
        .await
        .json()
        .await
        .unwrap();
    let keys: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, vec!["dark-mode", "new-checkout-flow"], "{list}");
    assert_eq!(list["meta"]["total"], 2);
    let path = format!("{ADMIN_FLAGS}?sort=-key&limit=1");
    let page: Value = send(&app, Method::GET, &path, Some(&admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"][0]["key"], "new-checkout-flow", "{page}");
    assert_eq!(page["meta"]["hasNext"], true);

    let changed = patch(
        &app,
        &admin,
        "new-checkout-flow",
        json!({"rolloutPercent": 50, "tiers": [], "enabled": true}),
    )
    .await;
    assert_eq!(changed["rolloutPercent"], 50);
    assert_eq!(changed["tiers"], json!([]));
    assert_eq!(changed["roles"], json!(["user", "admin"]), "untouched");
    assert_eq!(changed["createdAt"], created["createdAt"]);
    assert_ne!(changed["updatedAt"], created["updatedAt"]);
    let one: Value = send(
        &app,
        Method::GET,
        &format!("{ADMIN_FLAGS}/new-checkout-flow"),
        Some(&admin),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(one, changed);

    let path = format!("{ADMIN_FLAGS}/dark-mode");
    let deleted = send(&app, Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(deleted.status(), 204);
    assert_error(
        send(&app, Method::GET, &path, Some(&admin), None).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.count("feature_flags").await, 1);
}

async fn invalid_flag_input_is_400_with_details_naming_the_field(app: TestApp) {
    let admin = app.admin_token().await;
    let valid = json!({"key": "valid-key", "enabled": true, "rolloutPercent": 10});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("key", json!("Bad Key")), "key"),
        (with("key", json!("-leading-dash")), "key"),
        (with("key", json!("x")), "key"),
        (with("key", json!("k".repeat(64))), "key"),
        (with("key", json!(42)), "key"),
        (with("rolloutPercent", json!(101)), "rolloutPercent"),
        (with("rolloutPercent", json!(-1)), "rolloutPercent"),
        (with("rolloutPercent", json!(10.5)), "rolloutPercent"),
        (with("rolloutPercent", json!("10")), "rolloutPercent"),
        (with("enabled", json!("yes")), "enabled"),
        (with("roles", json!(["user", "root"])), "roles"),
        (with("roles", json!("admin")), "roles"),
        (with("tiers", json!(["gold"])), "tiers"),
        (with("userIds", json!(["not-a-uuid"])), "userIds"),
        (with("description", json!("d".repeat(501))), "description"),
        (json!({"enabled": true, "rolloutPercent": 10}), "key"),
        (
            json!({"key": "valid-key", "enabled": true}),
            "rolloutPercent",
        ),
        (json!({"key": "valid-key", "rolloutPercent": 10}), "enabled"),
    ];
    for (body, field) in cases {
        let response = send(&app, Method::POST, ADMIN_FLAGS, Some(&admin), Some(&body)).await;
        let error = assert_error(response, 400, "validation_failed").await;
        assert_eq!(error["error"], "Validation failed");
        let fields = detail_fields(&error);
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{body} should name {field}: {error}"
        );
    }
    let unknown = with("percent", json!(5));
    let response = send(
        &app,
        Method::POST,
        ADMIN_FLAGS,
        Some(&admin),
        Some(&unknown),
    )
    .await;
    assert_error(response, 400, "validation_failed").await;
    let truncated = app
        .client
        .post(app.url(ADMIN_FLAGS))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(r#"{"key": "valid-key", "enab"#)
        .send()
        .await
        .unwrap();
    assert_error(truncated, 400, "invalid_json").await;
    assert_eq!(app.count("feature_flags").await, 0, "nothing was created");

    create(&app, &admin, valid.clone()).await;
    let path = format!("{ADMIN_FLAGS}/valid-key");
    for (body, field) in [
        (json!({"rolloutPercent": 101}), "rolloutPercent"),
        (json!({"rolloutPercent": -1}), "rolloutPercent"),
        (json!({"enabled": 1}), "enabled"),
        (json!({"tiers": ["pro", "platinum"]}), "tiers"),
        (json!({"key": "renamed"}), ""),
    ] {
        let response = send(&app, Method::PATCH, &path, Some(&admin), Some(&body)).await;
        let error = assert_error(response, 400, "validation_failed").await;
        let fields = detail_fields(&error);
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{body} should name {field}: {error}"
        );
    }
    let unchanged: Value = send(&app, Method::GET, &path, Some(&admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["rolloutPercent"], 10);
}

async fn a_duplicate_key_is_409_conflict(app: TestApp) {
    let admin = app.admin_token().await;
    let body = json!({"key": "twice", "enabled": true, "rolloutPercent": 10});
    create(&app, &admin, body.clone()).await;
    let again = send(&app, Method::POST, ADMIN_FLAGS, Some(&admin), Some(&body)).await;
    let error = assert_error(again, 409, "conflict").await;
    assert_eq!(detail_fields(&error), vec!["key"]);
    assert_eq!(app.count("feature_flags").await, 1);
}

async fn unknown_keys_are_404_on_patch_and_delete(app: TestApp) {
    let admin = app.admin_token().await;
    let change = json!({"enabled": false});
    for key in ["no-such-flag", "NOT%20A%20KEY"] {
        let path = format!("{ADMIN_FLAGS}/{key}");
        let patched = send(&app, Method::PATCH, &path, Some(&admin), Some(&change)).await;
        assert_error(patched, 404, "not_found").await;
        let deleted = send(&app, Method::DELETE, &path, Some(&admin), None).await;
        assert_error(deleted, 404, "not_found").await;
    }
}

async fn flag_administration_needs_an_administrator(app: TestApp) {
    let (user, _) = account(&app, Role::User, Tier::Enterprise).await;
    let body = json!({"key": "guarded", "enabled": true, "rolloutPercent": 100});
    let item = format!("{ADMIN_FLAGS}/guarded");
    let calls = [
        (Method::GET, ADMIN_FLAGS, None),
        (Method::POST, ADMIN_FLAGS, Some(&body)),
        (Method::GET, item.as_str(), None),
        (Method::PATCH, item.as_str(), Some(&body)),
        (Method::DELETE, item.as_str(), None),
    ];
    for (method, path, body) in calls {
        let anonymous = send(&app, method.clone(), path, None, body).await;
        assert_error(anonymous, 401, "not_authenticated").await;
        let forbidden = send(&app, method.clone(), path, Some(&user), body).await;
        assert_error(forbidden, 403, "insufficient_permissions").await;
        let forged = send(&app, method, path, Some("not-a-token"), body).await;
        assert_error(forged, 401, "authentication_failed").await;
    }
    assert_eq!(app.count("feature_flags").await, 0);
}

async fn anonymous_visitors_get_a_cookie_and_stable_bucketed_answers(app: TestApp) {
    let admin = app.admin_token().await;
    let keys = ["half-a", "half-b", "half-c", "half-d", "half-e"];
    for key in keys {
        let body = json!({"key": key, "enabled": true, "rolloutPercent": 50});
        create(&app, &admin, body).await;
    }

    let (first, cookie) = evaluated(&app, None, None).await;
    let cookie = cookie.expect("a visitor without a cookie gets one");
    let visitor = cookie
        .strip_prefix("agora_vid=")
        .and_then(|rest| rest.split(';').next())
        .expect("agora_vid cookie");
    let id = Uuid::parse_str(visitor).expect("the visitor id is a UUID");
    assert_eq!(id.get_version_num(), 4);
    assert_eq!(
        cookie,
        format!("agora_vid={id}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax")
    );

    // The answers are the documented bucketing of this visitor id, every time.
    for key in keys {
        let expected = bucket(&FlagKey::parse(key).unwrap(), id) < 50;
        assert_eq!(first[key], expected, "{key}: {first}");
    }
    for _ in 0..3 {
        let (again, set) = evaluated(&app, None, Some(visitor)).await;
        assert_eq!(again, first);
        assert!(set.is_none(), "a valid cookie is kept: {set:?}");
    }

    // Another visitor is bucketed by their own id.
    let other = Uuid::new_v4();
    let (theirs, _) = evaluated(&app, None, Some(&other.to_string())).await;
    for key in keys {
        let expected = bucket(&FlagKey::parse(key).unwrap(), other) < 50;
        assert_eq!(theirs[key], expected);
    }

    // A malformed cookie is replaced.
    let (_, replaced) = evaluated(&app, None, Some("garbage")).await;
    let replaced = replaced.expect("a malformed cookie is replaced");
    assert!(replaced.starts_with("agora_vid=") && !replaced.contains(visitor));

    // A bad token is not silently treated as anonymous.
    let response = send(&app, Method::GET, FLAGS, Some("forged"), None).await;
    assert_error(response, 401, "authentication_failed").await;
}

async fn users_are_bucketed_by_user_id_and_named_users_always_get_the_flag(app: TestApp) {
    let admin = app.admin_token().await;
    let (named, named_id) = account(&app, Role::User, Tier::Free).await;
    let (other, other_id) = account(&app, Role::User, Tier::Free).await;
    create(
        &app,
        &admin,
        json!({"key": "beta", "enabled": true, "rolloutPercent": 0, "userIds": [named_id]}),
    )
    .await;
    create(
        &app,
        &admin,
        json!({"key": "half", "enabled": true, "rolloutPercent": 50}),
    )
    .await;

    let (answers, cookie) = evaluated(&app, Some(&named), None).await;
    assert!(cookie.is_none(), "signed-in users need no visitor cookie");
    assert_eq!(answers["beta"], true);
    let half = FlagKey::parse("half").unwrap();
    assert_eq!(answers["half"], bucket(&half, named_id) < 50);
    let (answers, _) = evaluated(&app, Some(&other), None).await;
    assert_eq!(answers["beta"], false);
    assert_eq!(answers["half"], bucket(&half, other_id) < 50);
    // A visitor cookie does not override the signed-in user.
    let (answers, _) = evaluated(&app, Some(&other), Some(&named_id.to_string())).await;
    assert_eq!(answers["beta"], false);
    let (answers, _) = evaluated(&app, None, Some(&named_id.to_string())).await;
    assert_eq!(answers["beta"], false, "a visitor is never a named user");

    // Disabled wins over being named.
    patch(&app, &admin, "beta", json!({"enabled": false})).await;
    let (answers, _) = evaluated(&app, Some(&named), None).await;
    assert_eq!(answers["beta"], false);
}

async fn roles_and_tiers_restrict_who_gets_a_flag(app: TestApp) {
    let admin_token = app.admin_token().await;
    let (free_user, _) = account(&app, Role::User, Tier::Free).await;
    let (pro_user, _) = account(&app, Role::User, Tier::Pro).await;
    let (free_admin, _) = account(&app, Role::Admin, Tier::Free).await;
    let everyone = |key: &str| json!({"key": key, "enabled": true, "rolloutPercent": 100});
    let mut admins_only = everyone("admins-only");
    admins_only["roles"] = json!(["admin"]);
    let mut paying = everyone("paying");
    paying["tiers"] = json!(["pro", "enterprise"]);
    let mut paying_admins = everyone("paying-admins");
    paying_admins["roles"] = json!(["admin"]);
    paying_admins["tiers"] = json!(["pro", "enterprise"]);
    for body in [everyone("everyone"), admins_only, paying, paying_admins] {
        create(&app, &admin_token, body).await;
    }

    let expectations = [
        (Some(&free_user), [true, false, false, false]),
        (Some(&pro_user), [true, false, true, false]),
        (Some(&free_admin), [true, true, false, false]),
        (Some(&admin_token), [true, true, true, true]), // admin_token is an enterprise admin
        (None, [true, false, false, false]),
    ];
    for (token, expected) in expectations {
        let visitor = Uuid::new_v4().to_string();
        let (answers, _) = evaluated(&app, token.map(String::as_str), Some(&visitor)).await;
        let actual = ["everyone", "admins-only", "paying", "paying-admins"]
            .map(|key| answers[key].as_bool().expect("a boolean"));
        assert_eq!(actual, expected, "{answers}");
    }
}

both_backends!(
    administrators_create_list_change_and_delete_flags,
    invalid_flag_input_is_400_with_details_naming_the_field,
    a_duplicate_key_is_409_conflict,
    unknown_keys_are_404_on_patch_and_delete,
    flag_administration_needs_an_administrator,
    anonymous_visitors_get_a_cookie_and_stable_bucketed_answers,
    users_are_bucketed_by_user_id_and_named_users_always_get_the_flag,
    roles_and_tiers_restrict_who_gets_a_flag,
);

/// Sets a cache TTL far longer than any test, so only invalidation can explain a fresh answer.
fn long_cache(spawn: Spawn) -> Spawn {
    let previous = spawn.configure;
    Spawn {
        configure: Some(Box::new(move |config| {
            if let Some(previous) = previous {
                previous(config);
            }
            config.set_section("flags", serde_json::json!({ "cache_ttl": "1h" }));
        })),
        ..spawn
    }
}

/// The cache is warm before each change, and its TTL is an hour: each answer below is fresh only
/// because the change invalidated it.
async fn a_change_is_visible_at_once_on_the_same_instance(backend: Backend) {
    let app = spawn_app_with(backend, long_cache(Spawn::default())).await;
    let admin = app.admin_token().await;
    let visitor = Uuid::new_v4().to_string();
    let (answers, _) = evaluated(&app, None, Some(&visitor)).await;
    assert_eq!(answers, json!({}));

    create(
        &app,
        &admin,
        json!({"key": "instant", "enabled": true, "rolloutPercent": 100}),
    )
    .await;
    let (answers, _) = evaluated(&app, None, Some(&visitor)).await;
    assert_eq!(answers, json!({"instant": true}));

    patch(&app, &admin, "instant", json!({"rolloutPercent": 0})).await;
    let (answers, _) = evaluated(&app, None, Some(&visitor)).await;
    assert_eq!(answers, json!({"instant": false}));

    patch(
        &app,
        &admin,
        "instant",
        json!({"rolloutPercent": 100, "roles": ["admin"]}),
    )
    .await;
    let (answers, _) = evaluated(&app, Some(&admin), None).await;
    assert_eq!(answers, json!({"instant": true}));

    let path = format!("{ADMIN_FLAGS}/instant");
    let deleted = send(&app, Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(deleted.status(), 204);
    let (answers, _) = evaluated(&app, Some(&admin), None).await;
    assert_eq!(answers, json!({}));
}

#[tokio::test]
async fn a_change_is_visible_at_once_on_the_same_instance_on_sqlite() {
    a_change_is_visible_at_once_on_the_same_instance(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_change_is_visible_at_once_on_the_same_instance_on_postgres() {
    a_change_is_visible_at_once_on_the_same_instance(Backend::Postgres).await;
}

/// Two replicas of one deployment (one Postgres database, one Redis): a change made through
/// replica A reaches replica B's warm cache through Redis pub/sub, although B's cache TTL is an
/// hour.
#[tokio::test]
async fn a_change_on_one_replica_reaches_another_through_redis() {
    let redis_url = support::redis_url().await;
    let prefix = format!("agora-test-{}:", Uuid::new_v4().simple());
    let with_redis = |url: String, prefix: String| Spawn {
        configure: Some(Box::new(move |config| {
            config.redis_url = Some(agora::config::Secret::new(url));
            config.redis_prefix = prefix;
        })),
        ..Spawn::default()
    };
    let spawn_a = long_cache(with_redis(redis_url.clone(), prefix.clone()));
    let a = spawn_app_with(Backend::Postgres, spawn_a).await;
    let spawn_b = Spawn {
        join: Some(a.deployment()),
        ..long_cache(with_redis(redis_url.clone(), prefix.clone()))
    };
    let b = spawn_app_with(Backend::Postgres, spawn_b).await;

    let admin = a.admin_token().await;
    let visitor = Uuid::new_v4().to_string();
    let deadline = Duration::from_secs(10);
    // B caches "no flags" before A creates one.
    let (answers, _) = evaluated(&b, None, Some(&visitor)).await;
    assert_eq!(answers, json!({}));

    create(
        &a,
        &admin,
        json!({"key": "replicated", "enabled": true, "rolloutPercent": 100}),
    )
    .await;
    wait_for_answer(&b, &visitor, "replicated", Some(true), deadline).await;

    patch(&a, &admin, "replicated", json!({"enabled": false})).await;
    wait_for_answer(&b, &visitor, "replicated", Some(false), deadline).await;

    // And the other way round: B's admin API changes what A answers.
    let (answers, _) = evaluated(&a, None, Some(&visitor)).await;
    assert_eq!(answers["replicated"], false);
    patch(&b, &admin, "replicated", json!({"enabled": true})).await;
    wait_for_answer(&a, &visitor, "replicated", Some(true), deadline).await;

    let path = format!("{ADMIN_FLAGS}/replicated");
    let deleted = send(&a, Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(deleted.status(), 204);
    wait_for_answer(&b, &visitor, "replicated", None, deadline).await;

    b.shutdown().await.expect("B stops cleanly");
    a.shutdown().await.expect("A stops cleanly");
    support::redis_delete_prefix(&redis_url, &prefix).await;
}

/// Without Redis a replica is not told; it converges when its cache entry expires.
#[tokio::test]
async fn without_a_broadcast_another_postgres_replica_converges_within_the_cache_ttl() {
    let short_cache = || Spawn {
        configure: Some(Box::new(|config| {
            config.set_section("flags", serde_json::json!({ "cache_ttl": "300ms" }));
        })),
        ..Spawn::default()
    };
    let a = spawn_app_with(Backend::Postgres, short_cache()).await;
    let b = spawn_app_with(
        Backend::Postgres,
        Spawn {
            join: Some(a.deployment()),
            ..short_cache()
        },
    )
    .await;
    let admin = a.admin_token().await;
    let visitor = Uuid::new_v4().to_string();
    let (answers, _) = evaluated(&b, None, Some(&visitor)).await;
    assert_eq!(answers, json!({}));
    create(
        &a,
        &admin,
        json!({"key": "eventually", "enabled": true, "rolloutPercent": 100}),
    )
    .await;
    wait_for_answer(
        &b,
        &visitor,
        "eventually",
        Some(true),
        Duration::from_secs(10),
    )
    .await;
}

/// `agora seed` creates `new-checkout-flow` as a 10 % canary, once.
#[tokio::test]
async fn the_seed_creates_the_new_checkout_flow_canary_once() {
    let dir = tempfile::tempdir().unwrap();
    let seed = || {
        crate::cli::agora(dir.path())
            .arg("seed")
            .output()
            .expect("agora seed runs")
    };
    let first = seed();
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        text.contains("created new-checkout-flow") && text.contains("enabled for 10%"),
        "{text}"
    );
    let again = String::from_utf8_lossy(&seed().stdout).into_owned();
    assert!(again.contains("exists  new-checkout-flow"), "{again}");

    let url = format!("sqlite://{}", dir.path().join("data/agora.db").display());
    let db = agora_adapters::store::Database::connect(&url, &Default::default())
        .await
        .expect("the seeded database");
    let key = FlagKey::parse("new-checkout-flow").unwrap();
    let flag = SqlFlagRepository::new(db.clone())
        .get(&key)
        .await
        .unwrap()
        .expect("seeded");
    assert!(flag.enabled);
    assert_eq!(flag.rollout_percent.value(), 10);
    assert_eq!(flag.description, "New checkout flow (canary)");
    db.close().await;
}
