//! Verification, login failures, password reset and change, profile updates.

use agora_domain::identity::{Role, Tier};
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{token_from, TestApp},
};

async fn status_and_body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn registered(app: &TestApp, email: &str) -> String {
    token_from(&app.register_for_mail(email).await)
}

async fn verification_tokens_are_single_use(app: TestApp) {
    let token = registered(&app, "verify@example.org").await;
    let (status, _) = status_and_body(
        app.post("/api/auth/verify-email", None, &json!({"token": token}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = status_and_body(
        app.post("/api/auth/verify-email", None, &json!({"token": token}))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["details"][0]["field"], "token");
    let (status, body) = status_and_body(
        app.post("/api/auth/verify-email", None, &json!({"token": "forged"}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation_failed"))
    );
    let (status, body) =
        status_and_body(app.post("/api/auth/verify-email", None, &json!({})).await).await;
    assert_eq!(
        (status, body["details"][0]["message"].as_str()),
        (400, Some("Token is required"))
    );
}

async fn an_expired_verification_link_is_400(app: TestApp) {
    let token = registered(&app, "late@example.org").await;
    app.execute_at(
        "UPDATE email_tokens SET expires_at = $1",
        chrono::Utc::now() - chrono::Duration::hours(1),
    )
    .await;
    let (status, body) = status_and_body(
        app.post("/api/auth/verify-email", None, &json!({"token": token}))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["details"][0]["message"],
        "Verification link has expired"
    );
}

async fn resending_needs_a_login_and_sends_a_new_link(app: TestApp) {
    registered(&app, "resend@example.org").await;
    let (status, body) = status_and_body(
        app.post("/api/auth/resend-verification", None, &json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("not_authenticated"))
    );
    let session = app.login("resend@example.org", "Secret123").await;
    let access = session["accessToken"].as_str().unwrap();
    assert_eq!(
        app.post("/api/auth/resend-verification", Some(access), &json!({}))
            .await
            .status(),
        202
    );
    app.drain_outbox().await;
    assert_eq!(app.mail_count("resend@example.org").await, 2);
}

async fn unknown_email_and_wrong_password_look_the_same(app: TestApp) {
    app.create_user("known@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let (s1, mut wrong) = status_and_body(
        app.post(
            "/api/auth/login",
            None,
            &json!({"email": "known@example.org", "password": "Wrong1234"}),
        )
        .await,
    )
    .await;
    let (s2, mut unknown) = status_and_body(
        app.post(
            "/api/auth/login",
            None,
            &json!({"email": "nobody@example.org", "password": "Wrong1234"}),
        )
        .await,
    )
    .await;
    assert_eq!((s1, s2), (401, 401));
    wrong.as_object_mut().unwrap().remove("requestId");
    unknown.as_object_mut().unwrap().remove("requestId");
    assert_eq!(wrong, unknown);
    assert_eq!(
        wrong,
        json!({"code": "authentication_failed", "error": "Authentication failed"})
    );

    let (status, body) = status_and_body(app.post("/api/auth/login", None, &json!({})).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["details"].as_array().unwrap().len(), 2);
}

async fn a_disabled_account_cannot_log_in(app: TestApp) {
    app.create_user("gone@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let admin = app.admin_token().await;
    let me = app.login("gone@example.org", "Secret123").await;
    let id = me["user"]["id"].as_str().unwrap().to_owned();
    let response = app
        .patch(
            &format!("/api/admin/users/{id}"),
            &admin,
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let (status, body) = status_and_body(
        app.post(
            "/api/auth/login",
            None,
            &json!({"email": "gone@example.org", "password": "Secret123"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("authentication_failed"))
    );
}

async fn forgot_password_never_reveals_whether_an_account_exists(app: TestApp) {
    let response = app
        .post(
            "/api/auth/forgot-password",
            None,
            &json!({"email": "ghost@example.org"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    app.create_user("real@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let response = app
        .post(
            "/api/auth/forgot-password",
            None,
            &json!({"email": "REAL@example.org"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    app.drain_outbox().await;
    assert_eq!(app.mail_count("ghost@example.org").await, 0);
    assert_eq!(app.mail_count("real@example.org").await, 1);
    let (status, _) = status_and_body(
        app.post(
            "/api/auth/forgot-password",
            None,
            &json!({"email": "not an email"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
}

async fn a_password_reset_ends_every_session(app: TestApp) {
    app.create_user("reset@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let old = app.login("reset@example.org", "Secret123").await;
    assert_eq!(
        app.post(
            "/api/auth/forgot-password",
            None,
            &json!({"email": "reset@example.org"})
        )
        .await
        .status(),
        202
    );
    let mail = app
        .wait_for_mail("reset@example.org", "Reset your password")
        .await;
    assert!(mail.text.contains("/reset-password?token="));
    let token = token_from(&mail);

    let (status, body) = status_and_body(
        app.post(
            "/api/auth/reset-password",
            None,
            &json!({"token": token, "password": "weak"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["details"][0]["field"].as_str()),
        (400, Some("password"))
    );
    let response = app
        .post(
            "/api/auth/reset-password",
            None,
            &json!({"token": token, "password": "Changed456"}),
        )
        .await;
    assert_eq!(response.status(), 204);

    let (status, body) = status_and_body(
        app.get_as(old["accessToken"].as_str().unwrap(), "/api/users/me")
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_revoked"))
    );
    let refresh = json!({"refreshToken": old["refreshToken"]});
    let (status, body) = status_and_body(app.post("/api/auth/refresh", None, &refresh).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_revoked"))
    );
    let (status, _) = status_and_body(
        app.post(
            "/api/auth/login",
            None,
            &json!({"email": "reset@example.org", "password": "Secret123"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 401);
    app.login("reset@example.org", "Changed456").await;

    let again = app
        .post(
            "/api/auth/reset-password",
            None,
            &json!({"token": token, "password": "Another789"}),
        )
        .await;
    assert_eq!(again.status(), 400, "reset links are single use");
}

async fn changing_the_password_keeps_only_the_current_session(app: TestApp) {
    app.create_user("change@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let other = app.login("change@example.org", "Secret123").await;
    let current = app.login("change@example.org", "Secret123").await;
    let access = current["accessToken"].as_str().unwrap();

    let wrong = json!({"currentPassword": "Nope12345", "newPassword": "Changed456"});
    let (status, body) = status_and_body(
        app.post("/api/users/me/password", Some(access), &wrong)
            .await,
    )
    .await;
    assert_eq!(
        (status, body["details"][0]["field"].as_str()),
        (400, Some("currentPassword"))
    );
    let weak = json!({"currentPassword": "Secret123", "newPassword": "short"});
    let (status, body) = status_and_body(
        app.post("/api/users/me/password", Some(access), &weak)
            .await,
    )
    .await;
    assert_eq!(
        (status, body["details"][0]["field"].as_str()),
        (400, Some("newPassword"))
    );

    let good = json!({"currentPassword": "Secret123", "newPassword": "Changed456"});
    assert_eq!(
        app.post("/api/users/me/password", Some(access), &good)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_as(access, "/api/users/me").await.status(),
        200,
        "current session continues"
    );
    let (status, body) = status_and_body(
        app.get_as(other["accessToken"].as_str().unwrap(), "/api/users/me")
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_revoked"))
    );
    app.login("change@example.org", "Changed456").await;
}

async fn the_profile_can_be_updated_within_the_rules(app: TestApp) {
    app.create_user("me@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let access = app.login("me@example.org", "Secret123").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let change = json!({"name": "  New Name ", "age": 41, "profile": {"bio": "hi"}});
    let (status, body) = status_and_body(app.patch("/api/users/me", &access, &change).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["name"].as_str(), body["age"].as_i64()),
        (Some("New Name"), Some(41))
    );
    assert_eq!(body["profile"], json!({"bio": "hi"}));

    for bad in [
        json!({"name": "X"}),
        json!({"age": 500}),
        json!({"profile": [1, 2]}),
        json!({"role": "admin"}),
    ] {
        let (status, body) = status_and_body(app.patch("/api/users/me", &access, &bad).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("validation_failed")),
            "{bad}"
        );
    }
    let after: Value = app
        .get_as(&access, "/api/users/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (after["name"].as_str(), after["role"].as_str()),
        (Some("New Name"), Some("user"))
    );
    let response = app
        .client
        .patch(app.url("/api/users/me"))
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

/// Three reset links in a mailbox; the second is used; the other two are dead.
async fn using_one_reset_link_kills_the_other_outstanding_ones(app: TestApp) {
    let email = "links@example.org";
    app.create_user(email, "Secret123", Role::User, Tier::Free)
        .await;
    for _ in 0..3 {
        let response = app
            .post("/api/auth/forgot-password", None, &json!({"email": email}))
            .await;
        assert_eq!(response.status(), 202);
    }
    app.drain_outbox().await;
    use agora_domain::ports::MailboxReader as _;
    let mails = agora_adapters::platform::SqlMailbox::new(app.db.clone())
        .list(
            Some(email),
            agora_domain::paging::PageRequest { page: 1, limit: 10 },
            false,
        )
        .await
        .unwrap();
    let tokens: Vec<String> = mails
        .items
        .iter()
        .filter(|m| m.mail.subject == "Reset your password")
        .map(|m| token_from(&m.mail))
        .collect();
    assert_eq!(tokens.len(), 3);
    let reset = |token: &str, password: &str| json!({"token": token, "password": password});
    let used = app
        .post(
            "/api/auth/reset-password",
            None,
            &reset(&tokens[1], "Changed456"),
        )
        .await;
    assert_eq!(used.status(), 204);
    for other in [&tokens[0], &tokens[2]] {
        let (status, body) = status_and_body(
            app.post("/api/auth/reset-password", None, &reset(other, "Again7890"))
                .await,
        )
        .await;
        assert_eq!(
            (status, body["details"][0]["field"].as_str()),
            (400, Some("token"))
        );
    }
    app.login(email, "Changed456").await;
}

both_backends!(
    using_one_reset_link_kills_the_other_outstanding_ones,
    verification_tokens_are_single_use,
    an_expired_verification_link_is_400,
    resending_needs_a_login_and_sends_a_new_link,
    unknown_email_and_wrong_password_look_the_same,
    a_disabled_account_cannot_log_in,
    forgot_password_never_reveals_whether_an_account_exists,
    a_password_reset_ends_every_session,
    changing_the_password_keeps_only_the_current_session,
    the_profile_can_be_updated_within_the_rules,
);
