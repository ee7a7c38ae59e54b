//! Administration of accounts (API.md "Identity", admin routes), the audit trail and the embedded
//! mailbox: who may call them, how lists page, sort and filter, and what a role, tier or
//! disabled change does to the account's sessions.

use agora_app::identity::Identity;
use std::time::{Duration, Instant};

use agora_app::identity::CreateUserInput;
use agora_domain::identity::{Role, Tier};
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::TestApp;

const PASSWORD: &str = "Secret123";
const USERS: &str = "/api/admin/users";
const AUDIT: &str = "/api/admin/audit";
const MAILBOX: &str = "/api/admin/mailbox";

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

/// GET `path?query` as `token`.
async fn get(app: &TestApp, token: &str, path: &str, query: &[(&str, &str)]) -> Response {
    let url = app.url(path);
    let request = app.client.get(url).query(query).bearer_auth(token);
    request.send().await.expect("request failed")
}

/// GET that must answer 200; the body never carries a password hash.
async fn list(app: &TestApp, token: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let response = get(app, token, path, query).await;
    ok_json(response).await
}

async fn ok_json(response: Response) -> Value {
    let status = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(status, 200, "{text}");
    let (lower, leaks) = (
        text.to_lowercase(),
        ["$argon2", "passwordhash", "password_hash"],
    );
    assert!(
        !leaks.iter().any(|s| lower.contains(s)),
        "hash leaked: {text}"
    );
    serde_json::from_str(&text).expect("JSON body")
}

/// Asserts status and API.md error code, returns the body.
async fn assert_error(response: Response, status: u16, code: &str) -> Value {
    let actual = response.status();
    let body: Value = response.json().await.expect("error JSON");
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    body
}

/// `key` of every object in the array `list`.
fn texts<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    let list = list.as_array().expect("an array");
    list.iter().map(|v| v[key].as_str().expect(key)).collect()
}

fn items(body: &Value) -> &Vec<Value> {
    body["data"].as_array().expect("data array")
}

fn numbered(range: impl Iterator<Item = usize>) -> Vec<String> {
    range.map(|i| format!("user{i:02}@list.example")).collect()
}

/// Creates a verified account with a chosen name and returns its id.
async fn fixture(app: &TestApp, email: &str, name: &str, role: Role, tier: Tier) -> String {
    let input = CreateUserInput {
        email: email.to_owned(),
        name: name.to_owned(),
        password: PASSWORD.to_owned(),
        role,
        tier,
    };
    let user = app
        .service::<Identity>()
        .create_user(input)
        .await
        .expect("fixture user");
    user.id.to_string()
}

/// A logged-in account: `(access token, refresh token, id)`.
async fn session(app: &TestApp, email: &str) -> (String, String, String) {
    let session = app.login(email, PASSWORD).await;
    let text = |v: &Value| v.as_str().expect("string").to_owned();
    let (access, refresh) = (&session["accessToken"], &session["refreshToken"]);
    (text(access), text(refresh), text(&session["user"]["id"]))
}

/// A free-tier user with a session: `(access token, refresh token, id)`.
async fn plain_user(app: &TestApp, email: &str) -> (String, String, String) {
    fixture(app, email, "Plain Person", Role::User, Tier::Free).await;
    session(app, email).await
}

/// A fresh administrator: `(access token, id)`.
async fn admin(app: &TestApp) -> (String, String) {
    let email = format!("boss-{}@example.org", uuid::Uuid::new_v4().simple());
    fixture(app, &email, "The Boss", Role::Admin, Tier::Enterprise).await;
    let (token, _, id) = session(app, &email).await;
    (token, id)
}

/// 22 uniform accounts `userNN@list.example` (every 7th an admin, tiers cycling) and three odd
/// ones whose email or name holds `_`, `%` or capitals. Returns `(email, role, tier)` of each.
async fn seed_directory(app: &TestApp) -> Vec<(String, Role, Tier)> {
    let mut seeded = Vec::new();
    for (i, email) in (1..).zip(numbered(1..=22)) {
        let role = if i % 7 == 0 { Role::Admin } else { Role::User };
        let tier = [Tier::Free, Tier::Pro, Tier::Enterprise][i % 3];
        app.create_user(&email, PASSWORD, role, tier).await;
        seeded.push((email, role, tier));
    }
    let odd = [
        ("ann_lee@odd.example", "Ann Lee"),
        ("deal100%@odd.example", "Deal Hunter"),
        ("zelda@odd.example", "Zelda QUUX"),
    ];
    for (email, name) in odd {
        fixture(app, email, name, Role::User, Tier::Free).await;
        seeded.push((email.to_owned(), Role::User, Tier::Free));
    }
    seeded
}

async fn a_caller_without_a_token_gets_401_and_a_normal_user_403_on_every_admin_route(
    app: TestApp,
) {
    let (user, _, id) = plain_user(&app, "plain@example.org").await;
    let one = format!("{USERS}/{id}");
    let promote = json!({"role": "admin"});
    let routes: [(Method, &str, Option<&Value>); 5] = [
        (Method::GET, USERS, None),
        (Method::GET, &one, None),
        (Method::PATCH, &one, Some(&promote)),
        (Method::GET, AUDIT, None),
        (Method::GET, MAILBOX, None),
    ];
    for (method, path, body) in routes {
        let anonymous = send(&app, method.clone(), path, None, body).await;
        let error = assert_error(anonymous, 401, "not_authenticated").await;
        assert_eq!(error["error"], "Not authenticated", "{method} {path}");
        let normal = send(&app, method.clone(), path, Some(&user), body).await;
        let error = assert_error(normal, 403, "insufficient_permissions").await;
        let message = "Insufficient permissions";
        assert_eq!(error["error"], message, "{method} {path}");
    }
    let (boss, _) = admin(&app).await;
    let unchanged = list(&app, &boss, &one, &[]).await;
    assert_eq!(unchanged["role"], "user", "a refused PATCH changed nothing");
}

async fn the_user_list_pages_sorts_and_selects_fields(app: TestApp) {
    seed_directory(&app).await;
    let (boss, _) = admin(&app).await;
    let total = 26; // 25 seeded and the administrator

    let first = list(&app, &boss, USERS, &[]).await;
    assert_eq!(items(&first).len(), 20);
    let meta = json!({"total": total, "page": 1, "limit": 20, "totalPages": 2,
                      "hasNext": true, "hasPrev": false});
    assert_eq!(first["meta"], meta);
    let second = list(&app, &boss, USERS, &[("page", "2")]).await;
    assert_eq!(items(&second).len(), 6);
    assert_eq!(second["meta"]["hasNext"], false);
    assert_eq!(second["meta"]["hasPrev"], true);
    let mut ids = texts(&first["data"], "id");
    ids.extend(texts(&second["data"], "id"));
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total, "pages neither overlap nor skip");

    let small = list(&app, &boss, USERS, &[("limit", "5")]).await;
    assert_eq!(items(&small).len(), 5);
    assert_eq!(small["meta"]["limit"], 5);
    assert_eq!(small["meta"]["totalPages"], 6);

    let q = ("q", "@list.example");
    let ascending = list(&app, &boss, USERS, &[q, ("sort", "email")]).await;
    assert_eq!(texts(&ascending["data"], "email"), numbered(1..=20));
    let descending = list(&app, &boss, USERS, &[q, ("sort", "-email")]).await;
    let expected = numbered((3..=22).rev());
    assert_eq!(texts(&descending["data"], "email"), expected);

    let slim = list(&app, &boss, USERS, &[("fields", "email,role")]).await;
    for user in items(&slim) {
        let mut keys: Vec<&String> = user.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["email", "id", "role"], "{user}");
    }
}

async fn the_user_list_filters_by_text_role_and_tier(app: TestApp) {
    let seeded = seed_directory(&app).await;
    let (boss, _) = admin(&app).await;
    let emails = |body: &Value| texts(&body["data"], "email").join(" ");

    let found = list(&app, &boss, USERS, &[("q", "USER0"), ("sort", "email")]).await;
    assert_eq!(emails(&found), numbered(1..=9).join(" "), "any case");
    assert_eq!(found["meta"]["total"], 9);
    for (q, only, why) in [
        ("quux", "zelda@odd.example", "name substring, any case"),
        ("_", "ann_lee@odd.example", "`_` matches literally"),
        ("%", "deal100%@odd.example", "`%` matches literally"),
    ] {
        let found = list(&app, &boss, USERS, &[("q", q)]).await;
        assert_eq!(emails(&found), only, "{why}");
    }
    let nothing = list(&app, &boss, USERS, &[("q", "no-such-person")]).await;
    assert_eq!(nothing["meta"]["total"], 0);
    assert_eq!(nothing["meta"]["hasNext"], false);

    let admins = list(&app, &boss, USERS, &[("role", "admin"), ("limit", "100")]).await;
    let expected = seeded.iter().filter(|(_, r, _)| *r == Role::Admin).count() + 1;
    assert_eq!(admins["meta"]["total"], expected);
    assert!(texts(&admins["data"], "role").iter().all(|r| *r == "admin"));
    let pro = list(&app, &boss, USERS, &[("tier", "pro"), ("limit", "100")]).await;
    let expected = seeded.iter().filter(|(_, _, t)| *t == Tier::Pro).count();
    assert_eq!(pro["meta"]["total"], expected);
    assert!(texts(&pro["data"], "tier").iter().all(|t| *t == "pro"));
}

async fn malformed_list_parameters_are_rejected_naming_the_field(app: TestApp) {
    let (boss, _) = admin(&app).await;
    let cases = [
        ("page", "0"),
        ("limit", "1000"),
        ("limit", "abc"),
        ("sort", "password_hash"),
        ("fields", "password_hash"),
        ("role", "root"),
        ("tier", "gold"),
    ];
    for (field, value) in cases {
        let response = get(&app, &boss, USERS, &[(field, value)]).await;
        let body = assert_error(response, 400, "validation_failed").await;
        assert_eq!(body["error"], "Validation failed");
        let named = texts(&body["details"], "field");
        assert!(named.contains(&field), "{field}={value}: {body}");
    }
}

async fn one_user_is_found_by_id_and_anything_else_is_404(app: TestApp) {
    let id = fixture(&app, "one@example.org", "Only One", Role::User, Tier::Pro).await;
    let (boss, _) = admin(&app).await;
    let user = list(&app, &boss, &format!("{USERS}/{id}"), &[]).await;
    assert_eq!(user["id"], id.as_str());
    assert_eq!(user["email"], "one@example.org");
    assert_eq!(user["tier"], "pro");
    let unknown = format!("{USERS}/{}", uuid::Uuid::now_v7());
    for path in [unknown.as_str(), "/api/admin/users/not-a-uuid"] {
        assert_error(get(&app, &boss, path, &[]).await, 404, "not_found").await;
    }
}

async fn a_role_and_tier_change_revokes_sessions_and_the_next_login_carries_the_new_role(
    app: TestApp,
) {
    let (access, refresh, id) = plain_user(&app, "rising@example.org").await;
    let (boss, _) = admin(&app).await;

    let change = json!({"role": "admin", "tier": "pro"});
    let updated = ok_json(app.patch(&format!("{USERS}/{id}"), &boss, &change).await).await;
    assert_eq!(updated["role"], "admin");
    assert_eq!(updated["tier"], "pro");

    let me = app.get_as(&access, "/api/users/me").await;
    assert_error(me, 401, "token_revoked").await;
    let body = json!({"refreshToken": refresh});
    let renewed = app.post("/api/auth/refresh", None, &body).await;
    assert_error(renewed, 401, "token_revoked").await;

    let again = app.login("rising@example.org", PASSWORD).await;
    assert_eq!(again["user"]["role"], "admin");
    let token = again["accessToken"].as_str().unwrap();
    let users = app.get_as(token, USERS).await;
    assert_eq!(users.status(), 200, "the new token carries the admin role");
}

async fn a_disabled_user_cannot_log_in_until_enabled_again(app: TestApp) {
    let (access, _, id) = plain_user(&app, "paused@example.org").await;
    let (boss, _) = admin(&app).await;
    let path = format!("{USERS}/{id}");
    let login = json!({"email": "paused@example.org", "password": PASSWORD});

    let disabled = ok_json(app.patch(&path, &boss, &json!({"disabled": true})).await).await;
    assert_eq!(disabled["disabled"], true);
    let me = app.get_as(&access, "/api/users/me").await;
    assert_error(me, 401, "token_revoked").await;
    let refused = app.post("/api/auth/login", None, &login).await;
    let body = assert_error(refused, 401, "authentication_failed").await;
    assert_eq!(body["error"], "Authentication failed");

    let enabled = ok_json(app.patch(&path, &boss, &json!({"disabled": false})).await).await;
    assert_eq!(enabled["disabled"], false);
    app.login("paused@example.org", PASSWORD).await;
}

async fn an_invalid_patch_is_rejected_and_changes_nothing(app: TestApp) {
    let (access, _, id) = plain_user(&app, "steady@example.org").await;
    let (boss, _) = admin(&app).await;
    let path = format!("{USERS}/{id}");
    let before = list(&app, &boss, &path, &[]).await;

    let invalid = [
        (json!({"role": "root"}), "role"),
        (json!({"tier": "gold"}), "tier"),
        (json!({"role": "admin", "tier": "gold"}), "tier"),
        (json!({"disabled": "yes"}), "disabled"),
        (json!({"role": "admin", "nickname": "x"}), "nickname"),
    ];
    for (body, field) in invalid {
        let response = app.patch(&path, &boss, &body).await;
        let error = assert_error(response, 400, "validation_failed").await;
        let named = texts(&error["details"], "field");
        assert!(named.contains(&field), "{body}: {error}");
    }
    let unknown = format!("{USERS}/{}", uuid::Uuid::now_v7());
    for missing in [unknown.as_str(), "/api/admin/users/not-a-uuid"] {
        let response = app.patch(missing, &boss, &json!({"role": "admin"})).await;
        assert_error(response, 404, "not_found").await;
    }

    let after = list(&app, &boss, &path, &[]).await;
    assert_eq!(after, before, "nothing changed");
    let me = app.get_as(&access, "/api/users/me").await;
    assert_eq!(me.status(), 200, "a failed PATCH revokes no session");
}

async fn an_admin_cannot_demote_or_disable_themselves(app: TestApp) {
    let (boss, id) = admin(&app).await;
    let path = format!("{USERS}/{id}");
    let before = list(&app, &boss, &path, &[]).await;
    for body in [json!({"role": "user"}), json!({"disabled": true})] {
        let error = assert_error(app.patch(&path, &boss, &body).await, 409, "conflict").await;
        assert!(error["error"].is_string(), "{error}");
    }
    let after = list(&app, &boss, &path, &[]).await;
    assert_eq!(after, before, "still an enabled admin, session intact");
}

async fn the_audit_trail_records_logins_role_changes_and_logouts_newest_first(app: TestApp) {
    let email = "audited@example.org";
    fixture(&app, email, "Audi Ted", Role::User, Tier::Free).await;
    let other = fixture(&app, "moved@example.org", "Mo Ved", Role::User, Tier::Free).await;
    let (boss, boss_id) = admin(&app).await;

    let wrong = json!({"email": email, "password": "Wrong1234"});
    let refused = app.post("/api/auth/login", None, &wrong).await;
    assert_error(refused, 401, "authentication_failed").await;
    let (access, _, id) = session(&app, email).await;
    let (path, promote) = (format!("{USERS}/{other}"), json!({"role": "admin"}));
    ok_json(app.patch(&path, &boss, &promote).await).await;
    let logout = send(&app, Method::POST, "/api/auth/logout", Some(&access), None).await;
    assert_eq!(logout.status(), 204);

    let total = app.count("audit_log").await;
    let trail = list(&app, &boss, AUDIT, &[("limit", "100")]).await;
    assert_eq!(trail["meta"]["total"], total);
    let (entries, actions) = (items(&trail), texts(&trail["data"], "action"));
    let expected = [
        "auth.logout",
        "admin.user_updated",
        "auth.login",
        "auth.login_failed",
    ];
    assert_eq!(actions[..4], expected, "newest first: {actions:?}");
    assert_eq!(entries[0]["actorId"], id.as_str());
    assert_eq!(entries[1]["actorId"], boss_id.as_str());
    assert_eq!(entries[1]["subjectId"], other.as_str());
    let role_change = json!({"from": "user", "to": "admin"});
    assert_eq!(entries[1]["details"]["role"], role_change);
    assert_eq!(entries[2]["actorId"], id.as_str());
    assert_eq!(entries[3]["subjectId"], id.as_str());
    assert_eq!(entries[3]["details"]["reason"], "wrong_password");

    let page2 = list(&app, &boss, AUDIT, &[("page", "2"), ("limit", "2")]).await;
    let pages = (total + 1) / 2;
    let meta = json!({"total": total, "page": 2, "limit": 2, "totalPages": pages,
                      "hasNext": pages > 2, "hasPrev": true});
    assert_eq!(page2["meta"], meta);
    assert_eq!(items(&page2)[..], entries[2..4], "pages continue in order");
}

/// Polls the whole mailbox until `ready` holds, within 10 s.
async fn mailbox_until(app: &TestApp, token: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let body = list(app, token, MAILBOX, &[]).await;
        if ready(&body) {
            return body;
        }
        assert!(Instant::now() < until, "mailbox never got there: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await; // poll: until the mailbox holds it
    }
}

async fn the_mailbox_shows_the_verification_mail_filtered_by_recipient(app: TestApp) {
    let (boss, _) = admin(&app).await;
    let people = [
        ("Reader.One@Example.org", "Reader One"),
        ("x@example.org", "X Y"),
    ];
    for (email, name) in people {
        let body = json!({"email": email, "password": PASSWORD, "name": name});
        assert_eq!(app.post("/api/users", None, &body).await.status(), 201);
    }
    mailbox_until(&app, &boss, |all| all["meta"]["total"] == 2).await;

    let mine = list(&app, &boss, MAILBOX, &[("to", "reader.one@example.org")]).await;
    assert_eq!(mine["meta"]["total"], 1, "others are excluded: {mine}");
    let mail = &mine["data"][0];
    assert_eq!(mail["to"], "reader.one@example.org");
    assert_eq!(mail["subject"], "Verify your email");
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("verification link"), "{text}");
    assert!(text.contains("/verify-email?token="), "{text}");

    let shouted = list(&app, &boss, MAILBOX, &[("to", "READER.ONE@EXAMPLE.ORG")]).await;
    assert_eq!(shouted["data"], mine["data"], "the filter ignores case");
}

both_backends!(
    a_caller_without_a_token_gets_401_and_a_normal_user_403_on_every_admin_route,
    the_user_list_pages_sorts_and_selects_fields,
    the_user_list_filters_by_text_role_and_tier,
    malformed_list_parameters_are_rejected_naming_the_field,
    one_user_is_found_by_id_and_anything_else_is_404,
    a_role_and_tier_change_revokes_sessions_and_the_next_login_carries_the_new_role,
    a_disabled_user_cannot_log_in_until_enabled_again,
    an_invalid_patch_is_rejected_and_changes_nothing,
    an_admin_cannot_demote_or_disable_themselves,
    the_audit_trail_records_logins_role_changes_and_logouts_newest_first,
    the_mailbox_shows_the_verification_mail_filtered_by_recipient,
);
