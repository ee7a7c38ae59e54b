//! The acceptance journey of the identity issue, on SQLite, Postgres and Postgres + Redis.

use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{spawn_app_with, token_from, Backend, Spawn, TestApp},
};

async fn error_code(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Register → verification link from the mailbox → verify → login → me → refresh → the old
/// refresh token now revokes the family → logout → the old access token is revoked. Returns the
/// access tokens whose revocation the denylist must record: one of the family revoked by the
/// replayed refresh token, and the one that logged out.
async fn the_whole_journey(app: &TestApp) -> (String, String) {
    let email = "journey@example.org";
    let registered = app
        .post("/api/users", None, &json!({"email": " Journey@Example.org ", "password": "Secret123", "name": "Jo Urney", "age": 33}))
        .await;
    assert_eq!(registered.status(), 201);
    let user: Value = registered.json().await.unwrap();
    assert_eq!(user["email"], email);
    assert_eq!(user["isVerified"], false);
    assert_eq!(user["role"], "user");
    for key in ["id", "name", "createdAt"] {
        assert!(user.get(key).is_some(), "{key} in {user}");
    }

    let mail = app.wait_for_mail(email, "Verify your email").await;
    assert!(mail.text.contains("verification link"));
    assert!(mail.text.contains("/verify-email?token="));
    let verified = app
        .post(
            "/api/auth/verify-email",
            None,
            &json!({"token": token_from(&mail)}),
        )
        .await;
    assert_eq!(verified.status(), 200);
    assert_eq!(
        verified.json::<Value>().await.unwrap(),
        json!({"verified": true})
    );

    let session = app.login(email, "Secret123").await;
    assert_eq!(session["tokenType"], "Bearer");
    assert_eq!(session["expiresIn"], 900);
    assert_eq!(session["user"]["isVerified"], true);
    let access = session["accessToken"].as_str().unwrap().to_owned();
    let refresh = session["refreshToken"].as_str().unwrap().to_owned();

    let me = app.get_as(&access, "/api/users/me").await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["email"], email);
    assert_eq!(
        me["createdAt"], user["createdAt"],
        "what the write returned is what a read returns"
    );

    let rotated = app
        .post("/api/auth/refresh", None, &json!({"refreshToken": refresh}))
        .await;
    assert_eq!(rotated.status(), 200);
    let family_access = access.clone();
    let rotated: Value = rotated.json().await.unwrap();
    let new_access = rotated["accessToken"].as_str().unwrap().to_owned();
    let new_refresh = rotated["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, refresh);
    assert_eq!(app.get_as(&new_access, "/api/users/me").await.status(), 200);

    // Replaying the spent token after the grace period (ADR 0015): the whole family dies,
    // including the fresh pair.
    app.age_spent_refresh_tokens().await;
    let (status, body) = error_code(
        app.post("/api/auth/refresh", None, &json!({"refreshToken": refresh}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_revoked"))
    );
    let (status, body) = error_code(
        app.post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": new_refresh}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_revoked"))
    );
    let (status, body) = error_code(app.get_as(&new_access, "/api/users/me").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_revoked"))
    );

    // A new login works; logout revokes its access token.
    let session = app.login(email, "Secret123").await;
    let access = session["accessToken"].as_str().unwrap().to_owned();
    let logout = app
        .post("/api/auth/logout", Some(&access), &json!({}))
        .await;
    assert_eq!(logout.status(), 204);
    let (status, body) = error_code(app.get_as(&access, "/api/users/me").await).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "token_revoked");
    assert_eq!(body["error"], "Token revoked");
    let refresh = session["refreshToken"].as_str().unwrap();
    let (status, _) = error_code(
        app.post("/api/auth/refresh", None, &json!({"refreshToken": refresh}))
            .await,
    )
    .await;
    assert_eq!(status, 401);

    // Events went through the outbox to the bus.
    app.drain_outbox().await;
    let created = app.bus.published_of("user.created");
    assert!(
        created.iter().any(|e| e.data["email"] == email),
        "{created:?}"
    );
    assert_eq!(app.bus.published_of("user.verified").len(), 1);
    (family_access, access)
}

async fn journey(app: TestApp) {
    the_whole_journey(&app).await;
}

/// The `(sid, jti)` claims of an access token (read, not verified: the server issued it).
fn sid_and_jti(access: &str) -> (String, String) {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let payload = access.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    (
        claims["sid"].as_str().expect("sid").to_owned(),
        claims["jti"].as_str().expect("jti").to_owned(),
    )
}

both_backends!(journey);

/// With `AGORA_REDIS_URL` set, revocations live in Redis (per-test key prefix, removed after).
#[tokio::test]
async fn journey_on_postgres_with_redis() {
    let prefix = format!("agora-test-{}:", uuid::Uuid::new_v4().simple());
    let redis_url = crate::support::redis_url().await;
    let configured = (redis_url.clone(), prefix.clone());
    let spawn = Spawn {
        configure: Some(Box::new(move |config| {
            config.redis_url = Some(agora::config::Secret::new(configured.0));
            config.redis_prefix = configured.1;
        })),
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Postgres, spawn).await;
    let ready: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(ready["checks"]["redis"]["status"], "up", "{ready}");
    let (family_access, logout_access) = the_whole_journey(&app).await;

    // Exactly the revocation notices the journey left for targets that only share Redis, as
    // `<prefix>deny:<key>`: the session (refresh family) killed by the replayed refresh token and
    // the logged-out session. (The database holds the revocations themselves, ADR 0018.)
    let (family_sid, _) = sid_and_jti(&family_access);
    let (logout_sid, _) = sid_and_jti(&logout_access);
    let mut denied: Vec<String> = crate::support::redis_keys(&redis_url, &prefix)
        .await
        .into_iter()
        .filter(|key| key.starts_with(&format!("{prefix}deny:")))
        .collect();
    denied.sort();
    let mut expected = vec![
        format!("{prefix}deny:sid:{family_sid}"),
        format!("{prefix}deny:sid:{logout_sid}"),
    ];
    expected.sort();
    assert_eq!(denied, expected);
    // Each expires with what it denies: no later than an access token's lifetime (900 s).
    let mut conn = agora::modules::connect_redis(&redis_url).await.unwrap();
    for key in &denied {
        let ttl_ms: i64 = redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            (1..=900_000).contains(&ttl_ms),
            "{key} expires in {ttl_ms} ms"
        );
    }
    crate::support::redis_delete_prefix(&redis_url, &prefix).await;
}
