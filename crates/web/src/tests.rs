//! The serving rules, against a build in a temporary directory (the embedded one depends on
//! whether `web/dist` existed at compile time; these must not).

use super::*;

fn build() -> (tempfile::TempDir, WebUi) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><div id=root>",
    )
    .unwrap();
    std::fs::write(dir.path().join("graphiql.html"), "<!doctype html>graphiql").unwrap();
    std::fs::write(dir.path().join("assets/index-3f2a9c.js"), "console.log(1)").unwrap();
    std::fs::write(dir.path().join("manifest.webmanifest"), "{}").unwrap();
    let ui = WebUi::from_dir(dir.path());
    (dir, ui)
}

fn get(ui: &WebUi, path: &str) -> Option<Response> {
    ui.respond(&Method::GET, path, &HeaderMap::new())
}

fn header(response: &Response, name: header::HeaderName) -> &str {
    response.headers()[name].to_str().unwrap()
}

async fn text(response: Response) -> String {
    use http_body_util::BodyExt;
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn hashed_assets_are_immutable_with_their_type() {
    let (_dir, ui) = build();
    let response = get(&ui, "/assets/index-3f2a9c.js").unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, header::CACHE_CONTROL), IMMUTABLE);
    assert!(header(&response, header::CONTENT_TYPE).starts_with("text/javascript"));
}

#[tokio::test]
async fn client_routes_get_the_index_revalidated_on_every_use() {
    let (_dir, ui) = build();
    for path in ["/", "/products/0193", "/admin/flags", "/verify-email"] {
        let response = get(&ui, path).unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&response, header::CACHE_CONTROL),
            "no-cache",
            "{path}"
        );
        assert!(header(&response, header::CONTENT_TYPE).starts_with("text/html"));
        assert_eq!(header(&response, header::REFERRER_POLICY), "no-referrer");
        assert!(text(response).await.contains("id=root"), "{path}");
    }
}

#[test]
fn other_top_level_files_are_revalidated() {
    let (_dir, ui) = build();
    let response = get(&ui, "/manifest.webmanifest").unwrap();
    assert_eq!(header(&response, header::CACHE_CONTROL), "no-cache");
    assert_eq!(
        header(&response, header::CONTENT_TYPE),
        "application/manifest+json"
    );
}

#[test]
fn a_known_validator_answers_not_modified() {
    let (_dir, ui) = build();
    let first = get(&ui, "/").unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(header::IF_NONE_MATCH, first.headers()[header::ETAG].clone());
    let again = ui.respond(&Method::GET, "/", &headers).unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[test]
fn api_paths_missing_files_and_writes_are_left_to_the_api() {
    let (_dir, ui) = build();
    assert!(get(&ui, "/api/nope").is_none(), "an API 404 stays JSON");
    assert!(get(&ui, "/api").is_none());
    assert!(get(&ui, "/.well-known/jwks.json").is_none());
    assert!(
        get(&ui, "/apiary").is_some(),
        "a client route that merely starts with api"
    );
    assert!(
        get(&ui, "/assets/gone-123.js").is_none(),
        "no HTML for a script"
    );
    assert!(get(&ui, "/../Cargo.toml").is_none());
    assert!(ui
        .respond(&Method::POST, "/orders", &HeaderMap::new())
        .is_none());
}

#[tokio::test]
async fn graphiql_is_its_own_page() {
    let (_dir, ui) = build();
    let response = ui.graphiql(&HeaderMap::new());
    assert_eq!(header(&response, header::CACHE_CONTROL), "no-cache");
    assert!(text(response).await.contains("graphiql"));
}

#[tokio::test]
async fn without_a_build_pages_say_how_to_build_the_ui() {
    let empty = tempfile::tempdir().unwrap();
    let ui = WebUi::from_dir(empty.path());
    assert!(!ui.is_built());
    for page in [
        get(&ui, "/").unwrap(),
        get(&ui, "/cart").unwrap(),
        ui.graphiql(&HeaderMap::new()),
    ] {
        assert_eq!(page.status(), StatusCode::OK);
        assert!(text(page).await.contains("npm ci &amp;&amp; npm run build"));
    }
    let verify = get(&ui, "/verify-email").unwrap();
    assert!(text(verify).await.contains("/verify-email.js"));
    let script = get(&ui, "/verify-email.js").unwrap();
    assert!(header(&script, header::CONTENT_TYPE).starts_with("text/javascript"));
    assert!(get(&ui, "/api/users/me").is_none());
}
