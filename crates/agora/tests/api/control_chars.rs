//! Control characters in text (issue 16, item 3): a NUL, which PostgreSQL cannot store, or any
//! other control character except tab, line feed and carriage return, in any JSON body field or
//! query parameter is 400 `validation_failed` naming the field — on both backends, before any
//! handler or store sees it, and nothing is written.

use agora_domain::identity::{Role, Tier};
use serde_json::{json, Value};

use crate::{both_backends, support::TestApp};

/// Asserts 400 `validation_failed` with exactly one detail, for `field`.
async fn assert_refused(response: reqwest::Response, field: &str, case: &str) {
    assert_eq!(response.status(), 400, "{case}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "validation_failed", "{case}");
    assert_eq!(
        body["details"],
        json!([{"field": field, "message": "must not contain control characters"}]),
        "{case}"
    );
}

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["users", "products", "feature_flags", "audit_log", "outbox"] {
        counts.push(app.count(table).await);
    }
    counts
}

async fn control_characters_in_any_text_field_are_400_naming_it_and_nothing_is_written(
    app: TestApp,
) {
    let admin = app.admin_token().await;
    app.create_user("nul@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let user = app.login("nul@example.org", "Secret123").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let product = json!({"sku": "NUL-1", "name": "Tent", "description": "ok",
        "price": {"amount": 1000, "currency": "EUR"}, "stock": 1});
    let created = app.post("/api/products", Some(&admin), &product).await;
    assert_eq!(created.status(), 201);
    let product_id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let flag =
        json!({"key": "nul-flag", "description": "ok", "enabled": true, "rolloutPercent": 0});
    assert_eq!(
        app.post("/api/admin/flags", Some(&admin), &flag)
            .await
            .status(),
        201
    );
    let before = counts(&app).await;

    let with = |base: &Value, field: &str, value: &str| {
        let mut body = base.clone();
        body[field] = json!(value);
        body
    };
    let registration =
        json!({"email": "new@example.org", "password": "Secret123", "name": "New User"});
    let posts: Vec<(&str, Option<&str>, Value, &str)> = vec![
        (
            "/api/users",
            None,
            with(&registration, "name", "Ne\u{0}w"),
            "name",
        ),
        (
            "/api/users",
            None,
            with(&registration, "email", "n\u{0}@example.org"),
            "email",
        ),
        (
            "/api/users",
            None,
            with(&registration, "name", "New\u{7}User"),
            "name",
        ),
        (
            "/api/users",
            None,
            with(&registration, "name", "New\u{85}User"),
            "name",
        ),
        (
            "/api/auth/login",
            None,
            json!({"email": "nul\u{0}@example.org", "password": "x"}),
            "email",
        ),
        (
            "/api/products",
            Some(&admin),
            with(&product, "sku", "NUL\u{0}2"),
            "sku",
        ),
        (
            "/api/products",
            Some(&admin),
            with(&product, "name", "Te\u{0}nt"),
            "name",
        ),
        (
            "/api/products",
            Some(&admin),
            with(&product, "description", "a\u{0}b"),
            "description",
        ),
        (
            "/api/admin/flags",
            Some(&admin),
            with(&flag, "key", "nul\u{0}2"),
            "key",
        ),
        (
            "/api/admin/flags",
            Some(&admin),
            with(&flag, "description", "d\u{0}"),
            "description",
        ),
    ];
    for (path, token, body, field) in posts {
        let case = format!("POST {path} {field}");
        assert_refused(app.post(path, token, &body).await, field, &case).await;
    }
    let patches: Vec<(String, &str, Value, &str)> = vec![
        (
            "/api/users/me".into(),
            user.as_str(),
            json!({"name": "Na\u{0}me"}),
            "name",
        ),
        (
            "/api/users/me".into(),
            user.as_str(),
            json!({"profile": {"bio": "b\u{0}"}}),
            "profile.bio",
        ),
        (
            format!("/api/products/{product_id}"),
            admin.as_str(),
            json!({"name": "x\u{0}", "version": 1}),
            "name",
        ),
        (
            "/api/admin/flags/nul-flag".into(),
            admin.as_str(),
            json!({"description": "x\u{0}"}),
            "description",
        ),
    ];
    for (path, token, body, field) in patches {
        let case = format!("PATCH {path} {field}");
        assert_refused(app.patch(&path, token, &body).await, field, &case).await;
    }
    for (path, field) in [
        ("/api/products?q=te%00nt", "q"),
        ("/api/admin/mailbox?to=a%00%40example.org", "to"),
        ("/api/admin/users?q=a%00", "q"),
        ("/api/admin/flags?sort=%01key", "sort"),
    ] {
        assert_refused(app.get_as(&admin, path).await, field, path).await;
    }
    assert_eq!(counts(&app).await, before, "nothing was written");
    let me: Value = app
        .get_as(&user, "/api/users/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["name"].as_str(), &me["profile"]),
        (Some("Fixture User"), &json!({}))
    );
    let stored: Value = app
        .get(&format!("/api/products/{product_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (stored["name"].as_str(), stored["version"].as_i64()),
        (Some("Tent"), Some(1))
    );

    // Tab, line feed and carriage return stay allowed in free text.
    let text = "line one\r\n\tline two";
    let kept = app
        .post(
            "/api/products",
            Some(&admin),
            &with(&with(&product, "sku", "NUL-3"), "description", text),
        )
        .await;
    assert_eq!(kept.status(), 201);
    assert_eq!(kept.json::<Value>().await.unwrap()["description"], text);
}

both_backends!(control_characters_in_any_text_field_are_400_naming_it_and_nothing_is_written);

/// Path parameters are keys or ids, never free text: one holding a control character names
/// nothing (404 on both backends, never a store error), for every method.
async fn a_control_character_in_a_path_segment_names_nothing(app: TestApp) {
    let admin = app.admin_token().await;
    for (path, change) in [
        ("/api/admin/flags/nul%00flag", json!({"enabled": true})),
        ("/api/products/%00", json!({"name": "Tent", "version": 1})),
        ("/api/admin/users/%00", json!({"tier": "pro"})),
    ] {
        let get = app.get_as(&admin, path).await;
        assert_eq!(get.status(), 404, "GET {path}");
        let patch = app.patch(path, &admin, &change).await;
        assert_eq!(patch.status(), 404, "PATCH {path}");
    }
    let delete = app
        .client
        .delete(app.url("/api/admin/flags/nul%00flag"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 404, "DELETE a flag");
}

both_backends!(a_control_character_in_a_path_segment_names_nothing);
