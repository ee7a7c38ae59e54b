//! GraphQL (API.md "GraphQL") on both backends: the same use cases as REST, DataLoaders (no N+1,
//! statements counted), field privacy, errors with the REST codes, and limits.

use serde_json::{json, Value};

use crate::{
    both_backends,
    content_queries::{statements_of, thirty_commented_posts},
    content_support::{author, comment, published, write_post},
    support::TestApp,
};

/// Sends a GraphQL request and returns its answer (always HTTP 200 with `data`/`errors`).
async fn send(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> reqwest::Response {
    app.post(
        "/graphql",
        token,
        &json!({"query": query, "variables": variables}),
    )
    .await
}

async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let response = send(app, token, query, variables).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The code of the first error, asserting there is one.
fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

const POSTS_WITH_COMMENTS: &str =
    "query($limit: Int) { posts(limit: $limit) { items { id author { name } comments { body author { name } } } meta { total } } }";

async fn the_posts_query_runs_at_most_four_statements_whatever_the_page_size(app: TestApp) {
    thirty_commented_posts(&app).await;
    let body = |limit: i64| json!({"query": POSTS_WITH_COMMENTS, "variables": {"limit": limit}});
    let (small_body, large_body) = (body(5), body(50));
    let (small, answer) = statements_of(app.post("/graphql", None, &small_body)).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    assert_eq!(
        answer["data"]["posts"]["items"].as_array().unwrap().len(),
        5
    );
    let (large, answer) = statements_of(app.post("/graphql", None, &large_body)).await;
    let items = answer["data"]["posts"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 30);
    assert_eq!(items[0]["author"]["name"], "Fixture User");
    assert_eq!(items[0]["comments"][1]["author"]["name"], "Fixture User");
    assert_eq!(items[0]["comments"][0]["body"], "one", "oldest first");
    // posts, their authors, their comments, the comments' authors: one statement each.
    assert!(large <= 4 && small > 0, "{large} statements for 30 posts");
    assert_eq!(large, small, "statements grow with the page: N+1");
}
both_backends!(the_posts_query_runs_at_most_four_statements_whatever_the_page_size);

async fn graphql_and_rest_answer_the_same_post(app: TestApp) {
    let (token, _) = author(&app).await;
    let id = published(&app, &token, "Same everywhere", &["a", "b"]).await;
    comment(&app, &token, &id, "hello").await;
    let rest: Value = app
        .get(&format!("/api/posts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let answer = gql(
        &app,
        None,
        "query($id: ID!) { post(id: $id) { id title body bodyHtml tags published commentCount createdAt updatedAt author { id name } } }",
        json!({"id": id}),
    )
    .await;
    let post = &answer["data"]["post"];
    for field in [
        "id",
        "title",
        "body",
        "bodyHtml",
        "tags",
        "published",
        "commentCount",
        "author",
    ] {
        assert_eq!(post[field], rest[field], "{field}");
    }
    for field in ["createdAt", "updatedAt"] {
        let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        assert_eq!(parse(&post[field]), parse(&rest[field]), "{field}");
    }
}
both_backends!(graphql_and_rest_answer_the_same_post);

async fn a_user_s_email_is_shown_only_to_themselves_and_admins(app: TestApp) {
    let (token, id) = author(&app).await;
    let (stranger, _) = author(&app).await;
    let admin = app.admin_token().await;
    published(&app, &token, "Mine", &[]).await;
    write_post(&app, &token, json!({"title": "Draft", "body": "b"})).await;
    let query = "query($id: ID!) { user(id: $id) { id name email posts { items { id title } meta { total } } } }";
    let own = gql(&app, Some(&token), query, json!({"id": id})).await;
    assert!(own["data"]["user"]["email"]
        .as_str()
        .unwrap()
        .starts_with("author-"));
    assert_eq!(
        own["data"]["user"]["posts"]["meta"]["total"], 2,
        "own drafts included"
    );
    let other = gql(&app, Some(&stranger), query, json!({"id": id})).await;
    assert_eq!(other["data"]["user"]["email"], Value::Null);
    assert_eq!(other["data"]["user"]["name"], "Fixture User");
    assert_eq!(other["data"]["user"]["posts"]["items"][0]["title"], "Mine");
    assert_eq!(
        other["data"]["user"]["posts"]["meta"]["total"], 1,
        "no drafts of others"
    );
    let anonymous = gql(&app, None, query, json!({"id": id})).await;
    assert_eq!(anonymous["data"]["user"]["email"], Value::Null);
    let by_admin = gql(&app, Some(&admin), query, json!({"id": id})).await;
    assert!(by_admin["data"]["user"]["email"].is_string());
    let users = gql(
        &app,
        Some(&stranger),
        "{ users { items { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&users), "insufficient_permissions");
}
both_backends!(a_user_s_email_is_shown_only_to_themselves_and_admins);

async fn mutations_call_the_same_use_cases_with_the_same_rules(app: TestApp) {
    let (token, _) = author(&app).await;
    let create = "mutation($input: CreatePostInput!) { createPost(input: $input) { id title tags published author { name } } }";
    let input = json!({"title": "Via GraphQL", "body": "*hi*", "tags": ["gql"], "published": true});
    let anonymous = gql(&app, None, create, json!({"input": input})).await;
    assert_eq!(code(&anonymous), "not_authenticated");
    let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    let bad = gql(
        &app,
        Some(&token),
        create,
        json!({"input": {"title": "T", "body": "b", "tags": eleven}}),
    )
    .await;
    assert_eq!(code(&bad), "validation_failed");
    assert_eq!(
        bad["errors"][0]["extensions"]["details"][0]["field"],
        "tags"
    );
    let big = gql(
        &app,
        Some(&token),
        create,
        json!({"input": {"title": "T", "body": "a".repeat(51 * 1024)}}),
    )
    .await;
    assert_eq!(
        big["errors"][0]["extensions"]["details"][0]["field"],
        "body"
    );
    assert_eq!(app.count("posts").await, 0, "nothing written");
    let created = gql(&app, Some(&token), create, json!({"input": input})).await;
    let post = &created["data"]["createPost"];
    assert_eq!(
        (post["title"].as_str(), post["author"]["name"].as_str()),
        (Some("Via GraphQL"), Some("Fixture User"))
    );
    let id = post["id"].as_str().unwrap();
    let (other, _) = author(&app).await;
    let update = "mutation($input: UpdatePostInput!) { updatePost(input: $input) { title } }";
    let foreign = gql(
        &app,
        Some(&other),
        update,
        json!({"input": {"id": id, "title": "x"}}),
    )
    .await;
    assert_eq!(code(&foreign), "insufficient_permissions");
    let own = gql(
        &app,
        Some(&token),
        update,
        json!({"input": {"id": id, "title": "Edited"}}),
    )
    .await;
    assert_eq!(own["data"]["updatePost"]["title"], "Edited");
    let add =
        "mutation($input: AddCommentInput!) { addComment(input: $input) { body author { name } } }";
    let added = gql(
        &app,
        Some(&other),
        add,
        json!({"input": {"postId": id, "body": "nice"}}),
    )
    .await;
    assert_eq!(added["data"]["addComment"]["body"], "nice");
    let draft = write_post(&app, &token, json!({"title": "Hidden", "body": "b"})).await;
    let hidden = gql(
        &app,
        Some(&other),
        "query($id: ID!) { post(id: $id) { title } }",
        json!({"id": draft["id"]}),
    )
    .await;
    assert_eq!(code(&hidden), "not_found");
    let invalid = gql(&app, None, "{ post(id: \"nope\") { title } }", json!({})).await;
    assert_eq!(code(&invalid), "not_found");
    app.drain_outbox().await;
    assert_eq!(app.bus.published_of("post.published").len(), 1);
    assert_eq!(app.bus.published_of("comment.created").len(), 1);
}
both_backends!(mutations_call_the_same_use_cases_with_the_same_rules);

async fn over_limit_queries_are_rejected_before_anything_runs(app: TestApp) {
    let unknown = gql(&app, None, "{ posts { items { nope } } }", json!({})).await;
    assert_eq!(code(&unknown), "validation_failed");
    // Depth 7: allowed, so it runs (and needs an admin).
    let seven = "{ users { items { posts { items { comments { author { name } } } } } } }";
    assert_eq!(
        code(&gql(&app, None, seven, json!({})).await),
        "not_authenticated"
    );
    // Depth 11: refused before any resolver runs (no `not_authenticated`, no data).
    let eleven = "{ users { items { id } } __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }";
    let answer = gql(&app, None, eleven, json!({})).await;
    assert_eq!(code(&answer), "validation_failed", "{answer}");
    assert_eq!(answer["data"], Value::Null, "nothing ran: {answer}");
    // 100 users × 100 posts × their comments: over the complexity limit, refused before auth.
    let complex = "{ users(limit: 100) { items { posts(limit: 100) { items { comments { author { name } } } } } } }";
    let answer = gql(&app, None, complex, json!({})).await;
    assert_eq!(code(&answer), "validation_failed", "{answer}");
    assert_eq!(answer["data"], Value::Null);
    let page = gql(
        &app,
        None,
        "{ posts(limit: 101) { items { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&page), "validation_failed");
    assert_eq!(
        page["errors"][0]["extensions"]["details"][0]["field"],
        "limit"
    );
    let huge = format!(
        "{{ posts {{ items {{ id }} }} }} # {}",
        "x".repeat(17 * 1024)
    );
    let answer = gql(&app, None, &huge, json!({})).await;
    assert_eq!(code(&answer), "payload_too_large");
    let malformed = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}
both_backends!(over_limit_queries_are_rejected_before_anything_runs);

/// The committed `docs/schema.graphql` is what `agora graphql-schema` prints.
#[test]
fn the_committed_schema_is_the_schema_the_binary_serves() {
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema.graphql"),
    )
    .unwrap();
    assert!(
        committed == agora_http::graphql::sdl(),
        "docs/schema.graphql is stale: run `cargo run -- graphql-schema > docs/schema.graphql`"
    );
}

async fn the_admin_user_list_counts_posts_in_one_more_statement(app: TestApp) {
    thirty_commented_posts(&app).await;
    let admin = app.admin_token().await;
    let list = |query: &str| {
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&admin)
            .json(&json!({ "query": query }))
            .send()
    };
    // Warm the admin's session check, so both measured requests pay the same for auth.
    list("{ me { id } }").await.unwrap();
    let with_counts = list("{ users(limit: 50) { items { name postCount } } }");
    let (counted, answer) = statements_of(async { with_counts.await.unwrap() }).await;
    let without_counts = list("{ users(limit: 50) { items { name } } }");
    let (plain, _) = statements_of(async { without_counts.await.unwrap() }).await;
    let users = answer["data"]["users"]["items"].as_array().unwrap();
    let counts: Vec<u64> = users
        .iter()
        .map(|u| u["postCount"].as_u64().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), 30, "{answer}");
    assert_eq!(counts.iter().filter(|c| **c == 10).count(), 3);
    assert_eq!(
        counted,
        plain + 1,
        "one grouped statement for every user's count"
    );
    let (token, _) = author(&app).await;
    let answer = gql(
        &app,
        Some(&token),
        "{ users { items { postCount } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&answer), "insufficient_permissions");
}
both_backends!(the_admin_user_list_counts_posts_in_one_more_statement);
