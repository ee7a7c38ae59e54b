//! Redis is a cache and a shared counter, never the only copy of anything (ADR 0018). Each test
//! runs its own Redis without persistence, kills it and starts it again on the same port:
//! * revocations (logout, reuse detection, a disabled or demoted account) hold after Redis comes
//!   back empty — before, they lived only in Redis and came back to life;
//! * while Redis is down, logged-in requests, logout and admin writes keep working (sessions are
//!   checked in the database), the failed-login limiter still limits (per replica), `/ready`
//!   says degraded; once Redis is back everything uses it again without a restart.

use agora_domain::identity::{Role, Tier};
use serde_json::{json, Value};

use crate::support::{spawn_app_with, Backend, PrivateRedis, Spawn, TestApp};

const PASSWORD: &str = "Secret123";

async fn app_on_redis(backend: Backend, redis: &PrivateRedis) -> TestApp {
    let url = redis.url();
    spawn_app_with(
        backend,
        Spawn {
            configure: Some(Box::new(move |config| {
                config.redis_url = Some(agora::config::Secret::new(url));
                config.redis_prefix = "agora-outage:".into();
                // The API.md default: 5 failed logins per IP + email.
                config.rate_limit.auth_failures = "5/15m".parse().expect("quota");
            })),
            ..Spawn::default()
        },
    )
    .await
}

async fn session(app: &TestApp, email: &str, role: Role) -> Value {
    app.create_user(email, PASSWORD, role, Tier::Free).await;
    app.login(email, PASSWORD).await
}

fn access(session: &Value) -> String {
    session["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn code_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

/// Polls `/ready` until its `redis` check reports `status`.
async fn until_redis_is(app: &TestApp, status: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let ready: Value = app.get("/ready").await.json().await.expect("ready JSON");
        if ready["checks"]["redis"]["status"] == status {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "redis never became {status}: {ready}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await; // poll: until the manager reconnects
    }
}

async fn revocations_survive_a_redis_restart_that_loses_every_key(backend: Backend) {
    let redis = PrivateRedis::start_on(crate::cli::free_port()).await;
    let port = redis.port();
    let app = app_on_redis(backend, &redis).await;
    let root = app.admin_token().await;

    // A logout.
    let logged_out = access(&session(&app, "out@example.org", Role::User).await);
    let response = app
        .post("/api/auth/logout", Some(&logged_out), &json!({}))
        .await;
    assert_eq!(response.status(), 204);
    // A family revoked for a replayed refresh token.
    let first = session(&app, "replayed@example.org", Role::User).await;
    let rotated: Value = app
        .post(
            "/api/auth/refresh",
            None,
            &json!({ "refreshToken": first["refreshToken"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    app.age_spent_refresh_tokens().await;
    let replay = app
        .post(
            "/api/auth/refresh",
            None,
            &json!({ "refreshToken": first["refreshToken"] }),
        )
        .await;
    assert_eq!(code_of(replay).await, (401, "token_revoked".into()));
    let replayed = access(&rotated);
    // An admin demoted and disabled by another.
    let rogue = session(&app, "rogue@example.org", Role::Admin).await;
    let rogue_id = rogue["user"]["id"].as_str().expect("user id").to_owned();
    let rogue = access(&rogue);
    let demote = json!({ "role": "user", "disabled": true });
    let path = format!("/api/admin/users/{rogue_id}");
    assert_eq!(app.patch(&path, &root, &demote).await.status(), 200);

    for token in [&logged_out, &replayed, &rogue] {
        let me = app.get_as(token, "/api/users/me").await;
        assert_eq!(code_of(me).await, (401, "token_revoked".into()));
    }

    // Redis restarts without persistence: every key is gone.
    drop(redis);
    let _redis = PrivateRedis::start_on(port).await;
    until_redis_is(&app, "up").await;

    for token in [&logged_out, &replayed, &rogue] {
        let me = app.get_as(token, "/api/users/me").await;
        assert_eq!(
            code_of(me).await,
            (401, "token_revoked".into()),
            "after the restart"
        );
    }
    let restore = json!({ "role": "admin", "disabled": false });
    let comeback = app.patch(&path, &rogue, &restore).await;
    assert_eq!(code_of(comeback).await, (401, "token_revoked".into()));
    let me: Value = app
        .get_as(&root, "/api/users/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin", "live sessions are untouched: {me}");
}

async fn a_redis_outage_degrades_but_never_stops_logged_in_requests(backend: Backend) {
    let redis = PrivateRedis::start_on(crate::cli::free_port()).await;
    let port = redis.port();
    let app = app_on_redis(backend, &redis).await;
    let root = app.admin_token().await;
    let user = access(&session(&app, "ada@example.org", Role::User).await);
    let other = access(&session(&app, "bob@example.org", Role::User).await);
    assert_eq!(app.get_as(&user, "/api/users/me").await.status(), 200);

    drop(redis);
    until_redis_is(&app, "degraded").await;
    let ready: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(ready["status"], "degraded", "{ready}");
    let reason = ready["checks"]["redis"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.contains("per replica"),
        "names the fallback: {reason}"
    );

    // Logged-in reads, logout and admin writes work from the database.
    assert_eq!(app.get_as(&user, "/api/users/me").await.status(), 200);
    assert_eq!(app.get("/api/products").await.status(), 200);
    let logout = app.post("/api/auth/logout", Some(&other), &json!({})).await;
    assert_eq!(logout.status(), 204);
    let me = app.get_as(&other, "/api/users/me").await;
    assert_eq!(code_of(me).await, (401, "token_revoked".into()));
    let ada: Value = app
        .get_as(&user, "/api/users/me")
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/admin/users/{}", ada["id"].as_str().unwrap());
    let promote = app.patch(&path, &root, &json!({ "tier": "pro" })).await;
    assert_eq!(promote.status(), 200);
    let me = app.get_as(&user, "/api/users/me").await;
    assert_eq!(
        code_of(me).await,
        (401, "token_revoked".into()),
        "tier change ends sessions"
    );

    // The failed-login limiter counts in process: 5 guesses, then 429 — never all 12.
    let mut evaluated = 0;
    for _ in 0..12 {
        let guess = json!({ "email": "ada@example.org", "password": "Wrong1guess" });
        let (status, code) = code_of(app.post("/api/auth/login", None, &guess).await).await;
        match (status, code.as_str()) {
            (401, "authentication_failed") => evaluated += 1,
            (429, "rate_limited") => {}
            other => panic!("unexpected answer to a guess: {other:?}"),
        }
    }
    assert_eq!(evaluated, 5, "the quota holds while Redis is down");

    // Redis returns: the process uses it again without a restart.
    let _redis = PrivateRedis::start_on(port).await;
    until_redis_is(&app, "up").await;
    let ready: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    let fresh = access(&app.login("ada@example.org", PASSWORD).await);
    assert_eq!(app.get_as(&fresh, "/api/users/me").await.status(), 200);
    let logout = app.post("/api/auth/logout", Some(&fresh), &json!({})).await;
    assert_eq!(logout.status(), 204);
    let me = app.get_as(&fresh, "/api/users/me").await;
    assert_eq!(code_of(me).await, (401, "token_revoked".into()));
}

mod revocations_survive_a_redis_restart {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        revocations_survive_a_redis_restart_that_loses_every_key(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        revocations_survive_a_redis_restart_that_loses_every_key(Backend::Postgres).await;
    }
}

mod a_redis_outage_degrades {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        a_redis_outage_degrades_but_never_stops_logged_in_requests(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        a_redis_outage_degrades_but_never_stops_logged_in_requests(Backend::Postgres).await;
    }
}
