//! Identity security: only tokens the server signed, unaltered, unexpired and unrevoked get in;
//! spent refresh tokens burn their family; secrets never leave in responses or logs.

use agora_domain::identity::{Role, Tier};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use ed25519_dalek::{pkcs8::DecodePrivateKey, Signer, SigningKey};
use serde_json::{json, Value};

use crate::{both_backends, support::TestApp};

const EMAIL: &str = "mallory@example.org";
const PASSWORD: &str = "Secret123";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn b64_json(value: &Value) -> String {
    b64(&serde_json::to_vec(value).expect("json"))
}

/// A compact JWS signed with `key` over exactly the given header and claims.
fn sign_ed(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64_json(header), b64_json(claims));
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

/// The claims of a compact JWS, unverified.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWS has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// What a forger can know (the JWKS, a user id, a real token) plus the real key for controls.
struct Target {
    kid: String,
    x: String,
    key: SigningKey,
    user_id: String,
    /// The live session of the real token: a signed token must name one (ADR 0018).
    session_id: String,
    real_token: String,
}

impl Target {
    async fn new(app: &TestApp) -> Self {
        app.create_user(EMAIL, PASSWORD, Role::User, Tier::Free)
            .await;
        let session = app.login(EMAIL, PASSWORD).await;
        let real_token = session["accessToken"].as_str().expect("token").to_owned();
        let me: Value = app
            .get_as(&real_token, "/api/users/me")
            .await
            .json()
            .await
            .expect("me");
        let jwks: Value = app
            .get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .expect("jwks");
        // Without a configured key the signer is the unretired key of identity's database.
        let pem = agora_adapters::identity::SqlSigningKeys::new(app.db.clone())
            .active()
            .await
            .expect("signing keys readable")
            .expect("a signing key was generated on start")
            .to_pem()
            .expect("PEM");
        Self {
            kid: jwks["keys"][0]["kid"].as_str().expect("kid").to_owned(),
            x: jwks["keys"][0]["x"].as_str().expect("x").to_owned(),
            key: SigningKey::from_pkcs8_pem(&pem).expect("PKCS#8 Ed25519 key"),
            user_id: me["id"].as_str().expect("id").to_owned(),
            session_id: claims_of(&real_token)["sid"]
                .as_str()
                .expect("sid")
                .to_owned(),
            real_token,
        }
    }

    fn header(&self) -> Value {
        json!({ "alg": "EdDSA", "typ": "JWT", "kid": self.kid })
    }

    /// Claims the server would issue for the fixture user, valid from now for five minutes.
    fn claims(&self) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "sub": self.user_id, "role": "user", "tier": "free", "ev": true,
            "sid": self.session_id, "jti": uuid::Uuid::now_v7().to_string(),
            "iat": now, "nbf": now, "exp": now + 300, "iss": "agora", "aud": "agora",
        })
    }

    fn signed(&self, claims: &Value) -> String {
        sign_ed(&self.key, &self.header(), claims)
    }
}

async fn assert_error(response: reqwest::Response, status: u16, code: &str, error: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("error JSON");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["error"], error, "{body}");
}

async fn assert_rejected(app: &TestApp, token: &str) {
    let response = app.get_as(token, "/api/users/me").await;
    assert_error(
        response,
        401,
        "authentication_failed",
        "Authentication failed",
    )
    .await;
}

async fn assert_revoked(response: reqwest::Response) {
    assert_error(response, 401, "token_revoked", "Token revoked").await;
}

async fn a_self_signed_token_with_the_real_key_and_correct_claims_is_accepted(app: TestApp) {
    let target = Target::new(&app).await;
    let response = app
        .get_as(&target.signed(&target.claims()), "/api/users/me")
        .await;
    assert_eq!(response.status(), 200, "the control must be accepted");
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["id"], target.user_id.as_str());
}

async fn forged_alg_none_token_is_rejected(app: TestApp) {
    let target = Target::new(&app).await;
    let header = json!({ "alg": "none", "typ": "JWT", "kid": target.kid });
    let token = format!("{}.{}.", b64_json(&header), b64_json(&target.claims()));
    assert_rejected(&app, &token).await;
}

async fn hs256_token_keyed_with_the_public_key_is_rejected(app: TestApp) {
    let target = Target::new(&app).await;
    let raw = URL_SAFE_NO_PAD.decode(&target.x).expect("x is base64url");
    assert_eq!(raw.len(), 32);
    for secret in [raw.as_slice(), target.x.as_bytes()] {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(target.kid.clone());
        let key = jsonwebtoken::EncodingKey::from_secret(secret);
        let token = jsonwebtoken::encode(&header, &target.claims(), &key).expect("HS256");
        assert_rejected(&app, &token).await;
    }
}

async fn token_signed_by_another_key_with_the_real_kid_is_rejected(app: TestApp) {
    let target = Target::new(&app).await;
    let attacker = SigningKey::from_bytes(&[42; 32]);
    let token = sign_ed(&attacker, &target.header(), &target.claims());
    assert_rejected(&app, &token).await;
}

async fn token_with_a_wrong_or_missing_kid_is_rejected(app: TestApp) {
    let target = Target::new(&app).await;
    let wrong = json!({ "alg": "EdDSA", "typ": "JWT", "kid": "0000000000000000" });
    let missing = json!({ "alg": "EdDSA", "typ": "JWT" });
    for header in [wrong, missing] {
        let token = sign_ed(&target.key, &header, &target.claims());
        assert_rejected(&app, &token).await;
    }
}

async fn expired_token_is_rejected(app: TestApp) {
    let target = Target::new(&app).await;
    let now = chrono::Utc::now().timestamp();
    let mut claims = target.claims();
    claims["iat"] = json!(now - 1200);
    claims["nbf"] = json!(now - 1200);
    claims["exp"] = json!(now - 600);
    assert_rejected(&app, &target.signed(&claims)).await;
}

async fn not_yet_valid_token_is_rejected(app: TestApp) {
    let target = Target::new(&app).await;
    let now = chrono::Utc::now().timestamp();
    let mut claims = target.claims();
    claims["iat"] = json!(now + 600);
    claims["nbf"] = json!(now + 600);
    claims["exp"] = json!(now + 1200);
    assert_rejected(&app, &target.signed(&claims)).await;
}

async fn token_of_another_issuer_is_rejected(app: TestApp) {
    let target = Target::new(&app).await;
    let mut claims = target.claims();
    claims["iss"] = json!("evil");
    assert_rejected(&app, &target.signed(&claims)).await;
}

async fn token_for_another_audience_is_rejected(app: TestApp) {
    let target = Target::new(&app).await;
    let mut claims = target.claims();
    claims["aud"] = json!("billing");
    assert_rejected(&app, &target.signed(&claims)).await;
}

async fn tampered_payload_is_rejected(app: TestApp) {
    let target = Target::new(&app).await;
    let parts: Vec<&str> = target.real_token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("payload")).unwrap();
    assert_eq!(claims["role"], "user");
    claims["role"] = json!("admin");
    let token = format!("{}.{}.{}", parts[0], b64_json(&claims), parts[2]);
    assert_rejected(&app, &token).await;
}

both_backends!(
    a_self_signed_token_with_the_real_key_and_correct_claims_is_accepted,
    forged_alg_none_token_is_rejected,
    hs256_token_keyed_with_the_public_key_is_rejected,
    token_signed_by_another_key_with_the_real_kid_is_rejected,
    token_with_a_wrong_or_missing_kid_is_rejected,
    expired_token_is_rejected,
    not_yet_valid_token_is_rejected,
    token_of_another_issuer_is_rejected,
    token_for_another_audience_is_rejected,
    tampered_payload_is_rejected,
);

async fn a_logged_out_access_token_is_revoked(app: TestApp) {
    app.create_user(EMAIL, PASSWORD, Role::User, Tier::Free)
        .await;
    let session = app.login(EMAIL, PASSWORD).await;
    let token = session["accessToken"].as_str().unwrap();
    let logout = app.post("/api/auth/logout", Some(token), &json!({})).await;
    assert_eq!(logout.status(), 204);
    assert_revoked(app.get_as(token, "/api/users/me").await).await;
}

async fn missing_or_malformed_credentials_are_rejected(app: TestApp) {
    let missing = app.get("/api/users/me").await;
    assert_error(missing, 401, "not_authenticated", "Not authenticated").await;
    for value in ["Basic xxx", "Bearer ", "Bearer"] {
        let response = app
            .client
            .get(app.url("/api/users/me"))
            .header("Authorization", value)
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            401,
            "authentication_failed",
            "Authentication failed",
        )
        .await;
    }
}

async fn refresh(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    let body = json!({ "refreshToken": refresh_token });
    app.post("/api/auth/refresh", None, &body).await
}

async fn reusing_a_spent_refresh_token_revokes_the_whole_family(app: TestApp) {
    app.create_user(EMAIL, PASSWORD, Role::User, Tier::Free)
        .await;
    let first = app.login(EMAIL, PASSWORD).await;
    let r1 = first["refreshToken"].as_str().unwrap();
    let rotated = refresh(&app, r1).await;
    assert_eq!(rotated.status(), 200);
    let second: Value = rotated.json().await.unwrap();
    let (r2, a2) = (
        second["refreshToken"].as_str().unwrap(),
        second["accessToken"].as_str().unwrap(),
    );
    assert_ne!(r1, r2);

    // Past the grace period in which a second tab may still present r1 (ADR 0015).
    app.age_spent_refresh_tokens().await;
    assert_revoked(refresh(&app, r1).await).await;
    assert_revoked(refresh(&app, r2).await).await;
    assert_revoked(app.get_as(a2, "/api/users/me").await).await;

    let admin = app.admin_token().await;
    let audit: Value = app
        .get_as(&admin, "/api/admin/audit?limit=100")
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .expect("audit page")
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"auth.refresh_reuse_detected"),
        "{actions:?}"
    );
}

/// Ten tabs refresh with the same token at once: each gets the same new pair, and the session
/// lives on (the refresh grace period, ADR 0015).
async fn concurrent_refreshes_with_one_token_all_get_the_same_pair(app: TestApp) {
    app.create_user(EMAIL, PASSWORD, Role::User, Tier::Free)
        .await;
    let first = app.login(EMAIL, PASSWORD).await;
    let r1 = first["refreshToken"].as_str().unwrap().to_owned();
    // Warm the client's connections so the racers start together.
    let warm = app.get("/health").await;
    assert_eq!(warm.status(), 200);

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (client, url, token, barrier) = (
            app.client.clone(),
            app.url("/api/auth/refresh"),
            r1.clone(),
            barrier.clone(),
        );
        racers.spawn(async move {
            barrier.wait().await;
            let response = client
                .post(url)
                .json(&json!({ "refreshToken": token }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        });
    }
    let mut pairs = Vec::new();
    while let Some(outcome) = racers.join_next().await {
        let (status, body) = outcome.unwrap();
        assert_eq!(status, 200, "{body}");
        pairs.push((
            body["accessToken"].as_str().unwrap().to_owned(),
            body["refreshToken"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(pairs.len(), 10);
    assert!(pairs.iter().all(|pair| *pair == pairs[0]), "{pairs:?}");
    let (access, rotated) = &pairs[0];
    assert_ne!(*rotated, r1);
    assert_eq!(
        app.count("refresh_tokens").await,
        2,
        "one rotation, not ten"
    );

    // The family lives on: the pair works, and rotates further.
    assert_eq!(app.get_as(access, "/api/users/me").await.status(), 200);
    let next = refresh(&app, rotated).await;
    assert_eq!(next.status(), 200);
}

/// After the grace period, the spent token is a replay again: 401 `token_revoked`, and every
/// token of the family (including the pair the grace period handed out) is dead.
async fn a_spent_refresh_token_after_the_grace_period_revokes_the_family(app: TestApp) {
    app.create_user(EMAIL, PASSWORD, Role::User, Tier::Free)
        .await;
    let first = app.login(EMAIL, PASSWORD).await;
    let r1 = first["refreshToken"].as_str().unwrap();
    let rotated: Value = refresh(&app, r1).await.json().await.unwrap();
    let again = refresh(&app, r1).await;
    assert_eq!(again.status(), 200, "within the grace period");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["refreshToken"], rotated["refreshToken"]);
    assert_eq!(again["accessToken"], rotated["accessToken"]);

    app.age_spent_refresh_tokens().await;
    assert_revoked(refresh(&app, r1).await).await;
    assert_revoked(refresh(&app, rotated["refreshToken"].as_str().unwrap()).await).await;
    assert_revoked(
        app.get_as(rotated["accessToken"].as_str().unwrap(), "/api/users/me")
            .await,
    )
    .await;
}

/// The body as text, after checking it carries no password or hash in any form.
async fn assert_no_secrets(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let text = response.text().await.unwrap();
    let lower = text.to_lowercase();
    assert!(!text.contains("$argon2"), "{text}");
    assert!(!lower.contains("password"), "{text}");
    assert!(!text.contains("passwordHash"), "{text}");
    serde_json::from_str(&text).expect("JSON body")
}

/// The session's tokens appear in their own fields and nowhere else.
fn assert_tokens_only_in_their_fields(session: &Value) {
    let access = session["accessToken"].as_str().expect("accessToken");
    let refresh = session["refreshToken"].as_str().expect("refreshToken");
    let mut rest = session.clone();
    let fields = rest.as_object_mut().unwrap();
    fields.remove("accessToken");
    fields.remove("refreshToken");
    let rest = rest.to_string();
    assert!(!rest.contains(refresh) && !rest.contains(access), "{rest}");
}

async fn responses_never_carry_passwords_hashes_or_stray_tokens(app: TestApp) {
    let register = json!({ "email": EMAIL, "password": PASSWORD, "name": "Mallory" });
    assert_no_secrets(app.post("/api/users", None, &register).await, 201).await;

    let login = json!({ "email": EMAIL, "password": PASSWORD });
    let session = assert_no_secrets(app.post("/api/auth/login", None, &login).await, 200).await;
    assert_tokens_only_in_their_fields(&session);

    let rotated = refresh(&app, session["refreshToken"].as_str().unwrap()).await;
    let rotated = assert_no_secrets(rotated, 200).await;
    assert_tokens_only_in_their_fields(&rotated);

    let access = rotated["accessToken"].as_str().unwrap();
    assert_no_secrets(app.get_as(access, "/api/users/me").await, 200).await;
    let admin = app.admin_token().await;
    let users = assert_no_secrets(app.get_as(&admin, "/api/admin/users").await, 200).await;
    assert_eq!(users["meta"]["total"], 2, "{users}");
}

both_backends!(
    a_logged_out_access_token_is_revoked,
    a_spent_refresh_token_after_the_grace_period_revokes_the_family,
    concurrent_refreshes_with_one_token_all_get_the_same_pair,
    missing_or_malformed_credentials_are_rejected,
    reusing_a_spent_refresh_token_revokes_the_whole_family,
    responses_never_carry_passwords_hashes_or_stray_tokens,
);

/// Drains a child's pipe on a thread so a chatty debug log can never block the process.
fn capture(pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut out = String::new();
        let mut reader = std::io::BufReader::new(pipe);
        std::io::Read::read_to_string(&mut reader, &mut out).expect("read log");
        out
    })
}

async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> Value {
    let response = client.post(url).json(body).send().await.expect("request");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("JSON body")
}

#[cfg(unix)]
#[tokio::test]
async fn secrets_never_reach_the_logs_even_at_debug_level() {
    use std::process::Stdio;

    use crate::cli::{agora, free_port, wait_ready};

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = agora(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "debug")
        .env("AGORA_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = capture(child.stdout.take().unwrap());
    let stderr = capture(child.stderr.take().unwrap());
    wait_ready(port, &mut child).await;

    let (client, base) = (reqwest::Client::new(), format!("http://127.0.0.1:{port}"));
    let register = json!({ "name": "Mallory", "email": EMAIL, "password": PASSWORD });
    post_json(&client, &format!("{base}/api/users"), &register).await;
    let login = json!({ "email": EMAIL, "password": PASSWORD });
    let session = post_json(&client, &format!("{base}/api/auth/login"), &login).await;
    let refresh = json!({ "refreshToken": session["refreshToken"] });
    let rotated = post_json(&client, &format!("{base}/api/auth/refresh"), &refresh).await;
    let access = rotated["accessToken"].as_str().unwrap();
    let me = client
        .get(format!("{base}/api/users/me"))
        .bearer_auth(access);
    assert_eq!(me.send().await.unwrap().status(), 200);

    let status = crate::cli::terminate(child).await;
    assert!(status.success(), "{status}");
    let output = stdout.join().unwrap() + &stderr.join().unwrap();

    assert!(output.contains("request completed"), "{output}");
    let secrets = [
        PASSWORD,
        "$argon2",
        session["accessToken"].as_str().unwrap(),
        session["refreshToken"].as_str().unwrap(),
        access,
        rotated["refreshToken"].as_str().unwrap(),
    ];
    for secret in secrets {
        assert!(!output.contains(secret), "log leaks {secret}");
    }
}
