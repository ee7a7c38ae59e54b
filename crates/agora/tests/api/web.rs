//! The web app as the binary serves it (API.md "Web", ADR 0021): caching of a build, the SPA
//! fallback beside JSON API errors, the security headers of its pages, and the page a binary
//! without a build answers. The rules themselves are unit-tested in `agora-web`; here they are
//! checked through the whole edge (routing, error envelope, security and compression layers).

use serde_json::Value;

use crate::{
    both_backends,
    support::{spawn_app_with, Backend, Spawn, TestApp},
};

/// An app serving a small build laid out as Vite lays one out.
async fn with_build() -> (tempfile::TempDir, TestApp) {
    let dist = tempfile::tempdir().unwrap();
    std::fs::create_dir(dist.path().join("assets")).unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        r#"<!doctype html><script type="module" src="/assets/index-a1b2c3.js"></script><div id="root"></div>"#,
    )
    .unwrap();
    std::fs::write(
        dist.path().join("graphiql.html"),
        "<!doctype html><div id=graphiql>",
    )
    .unwrap();
    std::fs::write(
        dist.path().join("assets/index-a1b2c3.js"),
        "export {}".repeat(400),
    )
    .unwrap();
    let dir = dist.path().to_path_buf();
    let app = spawn_app_with(
        Backend::Sqlite,
        Spawn {
            configure: Some(Box::new(move |config| config.web_dir = Some(dir))),
            ..Spawn::default()
        },
    )
    .await;
    (dist, app)
}

#[tokio::test]
async fn client_routes_answer_the_index_revalidated_with_a_csp_forbidding_inline_scripts() {
    let (_dist, app) = with_build().await;
    for path in [
        "/",
        "/products/0193a",
        "/admin/flags",
        "/verify-email?token=abc",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        let headers = page.headers().clone();
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'")
        );
        assert!(headers.contains_key("x-request-id"));
        assert!(page.text().await.unwrap().contains(r#"<div id="root">"#));
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_compressed() {
    let (_dist, app) = with_build().await;
    let asset = app
        .client
        .get(app.url("/assets/index-a1b2c3.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn api_paths_and_missing_files_stay_json_404s() {
    let (_dist, app) = with_build().await;
    for path in ["/api/nope", "/api/products/x/y", "/assets/gone-000.js"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_found", "{path}");
        assert!(body["requestId"].is_string());
    }
    let write = app.client.post(app.url("/cart")).send().await.unwrap();
    assert_eq!(write.status(), 404, "only reads reach the SPA");
}

#[tokio::test]
async fn get_graphql_is_graphiql_from_the_build() {
    let (_dist, app) = with_build().await;
    let page = app.get("/graphql").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
}

// On the split too: the gateway sends pages and GraphiQL's GET to the service serving the web app.
both_backends!(without_a_build_pages_and_graphiql_say_how_to_build_the_ui);
async fn without_a_build_pages_and_graphiql_say_how_to_build_the_ui(app: TestApp) {
    for path in ["/", "/cart", "/graphql"] {
        let page = app.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(
            html.contains("npm ci &amp;&amp; npm run build"),
            "{path}: {html}"
        );
    }
    let api = app.get("/api/nope").await;
    assert_eq!(api.status(), 404);
    assert_eq!(api.json::<Value>().await.unwrap()["code"], "not_found");
}
