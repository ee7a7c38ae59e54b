//! Cross-cutting HTTP behaviour: Prometheus metrics, compression, security headers, CORS,
//! request timeout.

use std::time::Duration;

use axum::{routing::get, Router};
use serde_json::Value;

use crate::support::{spawn_app, spawn_app_with, Backend, Configure, Spawn, TestApp};

async fn app_configured(configure: Configure) -> TestApp {
    spawn_app_with(
        Backend::Sqlite,
        Spawn {
            configure: Some(configure),
            ..Default::default()
        },
    )
    .await
}

#[tokio::test]
async fn metrics_expose_red_metrics_by_route_template_pools_outbox_and_process() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin_token().await;
    assert_eq!(app.get("/health").await.status(), 200);
    let unknown = format!("/api/admin/users/{}", uuid::Uuid::now_v7());
    assert_eq!(app.get_as(&admin, &unknown).await.status(), 404);

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    for needle in [
        "http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"}",
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\",status=\"200\",le=\"0.005\"}",
        "route=\"/api/admin/users/{id}\",status=\"404\"",
        "http_requests_in_flight",
        "db_pool_connections{state=\"idle\"}",
        "outbox_pending",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
    assert!(
        !text.contains(&unknown[17..]),
        "raw ids never become labels"
    );
}

#[tokio::test]
async fn metrics_need_the_scrape_token_when_one_is_configured() {
    let open = spawn_app(Backend::Sqlite).await;
    assert_eq!(open.get("/metrics").await.status(), 200, "no token: open");

    let app = app_configured(Box::new(|c| {
        c.metrics.token = Some(agora::config::Secret::new("scrape-secret".to_owned()));
    }))
    .await;
    let scrape = |token: Option<&'static str>| {
        let app = &app;
        async move {
            let mut request = app.client.get(app.url("/metrics"));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send().await.unwrap()
        }
    };
    for token in [None, Some("wrong"), Some("scrape-secre")] {
        let response = scrape(token).await;
        assert_eq!(response.status(), 401, "{token:?}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"metrics\""
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_authenticated");
    }
    let response = scrape(Some("scrape-secret")).await;
    assert_eq!(response.status(), 200);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("http_requests_total"));
    assert_eq!(app.get("/health").await.status(), 200, "probes stay open");
}

#[tokio::test]
async fn mailed_links_name_the_served_address_when_public_url_is_not_set() {
    let app = spawn_app(Backend::Sqlite).await;
    let email = "linked@example.org";
    let mail = app.register_for_mail(email).await;
    let link = format!("http://{}/verify-email?token=", app.addr);
    assert!(mail.text.contains(&link), "{link} in {}", mail.text);

    let configured = app_configured(Box::new(|c| {
        c.public_url = Some("https://shop.example.com/".to_owned());
    }))
    .await;
    let mail = configured.register_for_mail(email).await;
    assert!(
        mail.text
            .contains("https://shop.example.com/verify-email?token="),
        "{}",
        mail.text
    );
}

#[tokio::test]
async fn large_responses_are_compressed_unless_the_client_opts_out() {
    let app = spawn_app(Backend::Sqlite).await;
    let fetch = |encoding: &'static str, opt_out: bool, path: &'static str| {
        let app = &app;
        async move {
            let mut request = app
                .client
                .get(app.url(path))
                .header("accept-encoding", encoding);
            if opt_out {
                request = request.header("x-no-compression", "1");
            }
            request.send().await.unwrap()
        }
    };
    let metrics_size = app.get("/metrics").await.bytes().await.unwrap().len();
    assert!(
        metrics_size > 1024,
        "the metrics page is large enough to compress"
    );
    for encoding in ["gzip", "br"] {
        let response = fetch(encoding, false, "/metrics").await;
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert!(response.bytes().await.unwrap().len() < metrics_size);
    }
    let opted_out = fetch("gzip", true, "/metrics").await;
    assert!(opted_out.headers().get("content-encoding").is_none());
    let small = fetch("gzip", false, "/health").await;
    assert!(
        small.headers().get("content-encoding").is_none(),
        "responses under 1 KiB stay plain"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_hsts_only_when_configured() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in ["/health", "/api/nope"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            headers["referrer-policy"],
            "strict-origin-when-cross-origin"
        );
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
        assert!(headers.get("strict-transport-security").is_none());
        assert_eq!(
            headers["permissions-policy"],
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        );
        assert_eq!(headers["cross-origin-opener-policy"], "same-origin");
    }
    let tls = app_configured(Box::new(|c| c.hsts = true)).await;
    assert!(
        tls.get("/health").await.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn responses_with_tokens_or_personal_data_are_never_stored_and_public_ones_may_be() {
    let app = spawn_app(Backend::Sqlite).await;
    app.create_user(
        "cache@example.org",
        "Secret123",
        agora_domain::identity::Role::User,
        agora_domain::identity::Tier::Free,
    )
    .await;
    let admin = app.admin_token().await;
    let login = app
        .post(
            "/api/auth/login",
            None,
            &serde_json::json!({"email": "cache@example.org", "password": "Secret123"}),
        )
        .await;
    assert_eq!(login.headers()["cache-control"], "no-store", "login body");
    let session: Value = login.json().await.unwrap();
    let refresh = app
        .post(
            "/api/auth/refresh",
            None,
            &serde_json::json!({"refreshToken": session["refreshToken"]}),
        )
        .await;
    assert_eq!(refresh.status(), 200);
    assert_eq!(
        refresh.headers()["cache-control"],
        "no-store",
        "refresh body"
    );
    let failed = app
        .post(
            "/api/auth/login",
            None,
            &serde_json::json!({"email": "cache@example.org", "password": "wrong"}),
        )
        .await;
    assert_eq!(
        failed.headers()["cache-control"],
        "no-store",
        "failed login"
    );
    let user = session["accessToken"].as_str().unwrap();
    for (token, path) in [
        (user, "/api/users/me"),
        (admin.as_str(), "/api/admin/users"),
        (admin.as_str(), "/api/admin/mailbox"),
        (admin.as_str(), "/api/admin/audit"),
        (user, "/api/products"),
    ] {
        let response = app.get_as(token, path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    for path in ["/health", "/api/products", "/.well-known/jwks.json"] {
        let response = app.get(path).await;
        assert_ne!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path} carries nothing private"
        );
    }
}

#[tokio::test]
async fn cors_is_closed_by_default_and_open_only_to_configured_origins() {
    let app = spawn_app(Backend::Sqlite).await;
    let preflight = |app: &TestApp, origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let response = preflight(&app, "https://app.example.com").await.unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let open = app_configured(Box::new(|c| {
        c.cors_origins = vec!["https://app.example.com".into()]
    }))
    .await;
    let allowed = preflight(&open, "https://app.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let denied = preflight(&open, "https://evil.example.net").await.unwrap();
    assert!(denied
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn a_request_over_the_timeout_gets_a_json_408() {
    let slow = Router::new().route(
        "/test/slow",
        // Never answers on its own: only the timeout can end it.
        get(std::future::pending::<&'static str>),
    );
    let spawn = Spawn {
        extra_routes: vec![slow],
        configure: Some(Box::new(|c| c.request_timeout = Duration::from_millis(200))),
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, spawn).await;
    let response = app.get("/test/slow").await;
    assert_eq!(response.status(), 408);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "request_timeout");
    assert!(body["requestId"].is_string());
}

/// Every `src`/`href`/`url(` in a page or script, and any absolute URL, must stay on this origin.
fn external_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for needle in ["http://", "https://", "//", "src=\"", "href=\"", "url("] {
        for (at, _) in text.match_indices(needle) {
            let rest: String = text[at + needle.len()..].chars().take(40).collect();
            let external = match needle {
                "src=\"" | "href=\"" | "url(" => !rest.starts_with('/') || rest.starts_with("//"),
                // `//` as a comment at the start of a script line is not a URL.
                "//" => {
                    let before = text[..at].chars().last();
                    !matches!(before, None | Some('\n' | ' '))
                        && !text[..at].ends_with("http:")
                        && !text[..at].ends_with("https:")
                }
                _ => true,
            };
            if external {
                found.push(format!("{needle}{rest}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_mailed_verification_link_opens_a_page_whose_script_verifies_the_address() {
    let app = spawn_app(Backend::Sqlite).await;
    let email = "page@example.org";
    let mail = app.register_for_mail(email).await;
    let link = mail
        .text
        .split_whitespace()
        .find(|word| word.contains("/verify-email?token="))
        .expect("a link in the mail")
        .to_owned();
    // The link itself (this server's address, see `public_url`) opens the page.
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200, "{link}");
    let headers = page.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(
        headers["referrer-policy"], "no-referrer",
        "the token stays private"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<script src=\"/verify-email.js\" defer></script>"));
    assert!(
        !html.contains("<script>") && !html.contains(" on"),
        "no inline script or handler (the CSP forbids them)"
    );
    assert_eq!(external_references(&html), Vec::<String>::new());

    let script = app.get("/verify-email.js").await;
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let js = script.text().await.unwrap();
    assert_eq!(external_references(&js), Vec::<String>::new());
    for needle in [
        "fetch(\"/api/auth/verify-email\"",
        "JSON.stringify({ token: token })",
        ".get(\"token\")",
    ] {
        assert!(
            js.contains(needle),
            "the script posts the link's token: {needle}"
        );
    }

    // What the script does, done here: the token from the page's URL, posted as JSON.
    let token = link.split("token=").nth(1).unwrap();
    let verified = app
        .post(
            "/api/auth/verify-email",
            None,
            &serde_json::json!({"token": token}),
        )
        .await;
    assert_eq!(verified.status(), 200);
    assert_eq!(
        verified.json::<Value>().await.unwrap(),
        serde_json::json!({"verified": true})
    );
}
