//! Content: posts and comments (API.md "Content"), on both backends.

use agora_adapters::{
    content::SqlCommentRepository,
    store::{migrations::Migrator, Database},
};
use agora_domain::{
    content::{Comment, CommentBody},
    ports::{CommentRepository, StoreError, UnitOfWork},
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    both_backends, both_stores,
    content_support::{author, comment, delete, error, published, unverified, write_post},
    support::TestApp,
};

async fn a_post_is_written_read_commented_edited_and_deleted(app: TestApp) {
    let (token, user_id) = author(&app).await;
    let post = write_post(
        &app,
        &token,
        json!({"title": "  Hello world ", "body": "# Hi\n\nSome *markdown*.", "tags": ["news", "rust"], "published": true}),
    )
    .await;
    assert_eq!(post["title"], "Hello world");
    assert_eq!(post["body"], "# Hi\n\nSome *markdown*.");
    assert!(post["bodyHtml"]
        .as_str()
        .unwrap()
        .contains("<em>markdown</em>"));
    assert_eq!(post["tags"], json!(["news", "rust"]));
    assert_eq!(post["published"], true);
    assert_eq!(
        post["author"],
        json!({"id": user_id, "name": "Fixture User"})
    );
    assert_eq!(post["commentCount"], 0);
    let id = post["id"].as_str().unwrap();

    let (reader, _) = author(&app).await;
    let first = comment(&app, &reader, id, "First!").await;
    assert_eq!(first["postId"], id);
    assert_eq!(first["author"]["name"], "Fixture User");
    comment(&app, &token, id, "Thanks").await;

    let read: Value = app
        .get(&format!("/api/posts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["commentCount"], 2);
    let list: Value = app.get("/api/posts").await.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["data"][0]["id"], id);
    assert_eq!(list["data"][0]["commentCount"], 2);
    assert_eq!(list["data"][0]["author"]["id"], user_id.as_str());
    let comments: Value = app
        .get(&format!("/api/posts/{id}/comments"))
        .await
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> = comments["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["First!", "Thanks"], "oldest first");

    let edited = app
        .patch(
            &format!("/api/posts/{id}"),
            &token,
            &json!({"title": "Hello again", "tags": []}),
        )
        .await;
    assert_eq!(edited.status(), 200);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(
        (edited["title"].as_str(), edited["tags"].clone()),
        (Some("Hello again"), json!([]))
    );
    assert_eq!(edited["body"], post["body"], "absent fields stay");

    let comment_id = first["id"].as_str().unwrap();
    let foreign = delete(&app, &token, &format!("/api/comments/{comment_id}")).await;
    assert_eq!(
        error(foreign, 403).await["code"],
        "insufficient_permissions"
    );
    assert_eq!(
        delete(&app, &reader, &format!("/api/comments/{comment_id}"))
            .await
            .status(),
        204
    );

    assert_eq!(
        delete(&app, &token, &format!("/api/posts/{id}"))
            .await
            .status(),
        204
    );
    assert_eq!(
        error(app.get(&format!("/api/posts/{id}")).await, 404).await["code"],
        "not_found"
    );
    assert_eq!(
        app.count("comments").await,
        0,
        "comments go with their post"
    );

    app.drain_outbox().await;
    let published = app.bus.published_of("post.published");
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].data["postId"], id);
    assert_eq!(published[0].data["authorId"], user_id.as_str());
    let comments = app.bus.published_of("comment.created");
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].data["postAuthorId"], user_id.as_str());
}
both_backends!(a_post_is_written_read_commented_edited_and_deleted);

async fn drafts_are_visible_only_to_their_author_and_admins(app: TestApp) {
    let (token, _) = author(&app).await;
    let (other, _) = author(&app).await;
    let admin = app.admin_token().await;
    let draft = write_post(&app, &token, json!({"title": "Secret", "body": "Not yet."})).await;
    assert_eq!(draft["published"], false);
    let id = draft["id"].as_str().unwrap();
    let path = format!("/api/posts/{id}");

    assert_eq!(error(app.get(&path).await, 404).await["code"], "not_found");
    assert_eq!(app.get_as(&other, &path).await.status(), 404);
    assert_eq!(app.get_as(&token, &path).await.status(), 200);
    assert_eq!(app.get_as(&admin, &path).await.status(), 200);
    let anonymous: Value = app.get("/api/posts").await.json().await.unwrap();
    assert_eq!(anonymous["meta"]["total"], 0);
    let own: Value = app.get_as(&token, "/api/posts").await.json().await.unwrap();
    assert_eq!(own["meta"]["total"], 1);
    let all: Value = app.get_as(&admin, "/api/posts").await.json().await.unwrap();
    assert_eq!(all["meta"]["total"], 1);
    // Someone else's draft does not exist for them, whatever they try.
    let edit = app
        .patch(&path, &other, &json!({"title": "Mine now"}))
        .await;
    assert_eq!(error(edit, 404).await["code"], "not_found");
    let comment = app
        .post(
            &format!("{path}/comments"),
            Some(&other),
            &json!({"body": "hi"}),
        )
        .await;
    assert_eq!(comment.status(), 404);
    assert_eq!(app.count("comments").await, 0);

    let publish = app.patch(&path, &token, &json!({"published": true})).await;
    assert_eq!(publish.status(), 200);
    assert_eq!(app.get_as(&other, &path).await.status(), 200);
    let edit = app
        .patch(&path, &other, &json!({"title": "Mine now"}))
        .await;
    assert_eq!(error(edit, 403).await["code"], "insufficient_permissions");
    assert_eq!(
        error(delete(&app, &other, &path).await, 403).await["code"],
        "insufficient_permissions"
    );
    let by_admin = app
        .patch(&path, &admin, &json!({"title": "Moderated"}))
        .await;
    assert_eq!(by_admin.status(), 200);
    assert_eq!(delete(&app, &admin, &path).await.status(), 204);
    app.drain_outbox().await;
    assert_eq!(
        app.bus.published_of("post.published").len(),
        1,
        "published once, by the edit"
    );
}
both_backends!(drafts_are_visible_only_to_their_author_and_admins);

async fn an_unverified_email_may_draft_but_not_publish_or_comment(app: TestApp) {
    let token = unverified(&app).await;
    let (verified, _) = author(&app).await;
    let publish = app
        .post(
            "/api/posts",
            Some(&token),
            &json!({"title": "T", "body": "B", "published": true}),
        )
        .await;
    assert_eq!(error(publish, 403).await["code"], "email_not_verified");
    assert_eq!(app.count("posts").await, 0, "nothing written");
    let draft = write_post(&app, &token, json!({"title": "T", "body": "B"})).await;
    let path = format!("/api/posts/{}", draft["id"].as_str().unwrap());
    let publish = app.patch(&path, &token, &json!({"published": true})).await;
    assert_eq!(error(publish, 403).await["code"], "email_not_verified");
    let other = published(&app, &verified, "Open", &[]).await;
    let comment = app
        .post(
            &format!("/api/posts/{other}/comments"),
            Some(&token),
            &json!({"body": "hi"}),
        )
        .await;
    assert_eq!(error(comment, 403).await["code"], "email_not_verified");
    assert_eq!(app.count("comments").await, 0);
    let anonymous = app
        .post("/api/posts", None, &json!({"title": "T", "body": "B"}))
        .await;
    assert_eq!(error(anonymous, 401).await["code"], "not_authenticated");
    app.drain_outbox().await;
    assert_eq!(app.bus.published_of("post.published").len(), 1);
}
both_backends!(an_unverified_email_may_draft_but_not_publish_or_comment);

async fn bad_posts_and_comments_are_400_with_details_and_write_nothing(app: TestApp) {
    let (token, _) = author(&app).await;
    let big = "a".repeat(51 * 1024);
    let eleven: Vec<String> = (0..11).map(|i| format!("tag-{i}")).collect();
    let cases = [
        (json!({"title": "T", "body": big}), "body"),
        (json!({"title": "T", "body": "B", "tags": eleven}), "tags"),
        (json!({"title": "T", "body": "B", "tags": ["Rust"]}), "tags"),
        (
            json!({"title": "T", "body": "B", "tags": ["a".repeat(31)]}),
            "tags",
        ),
        (json!({"title": "   ", "body": "B"}), "title"),
        (json!({"title": "x".repeat(201), "body": "B"}), "title"),
        (json!({"body": "B"}), "title"),
        (json!({"title": "T"}), "body"),
    ];
    for (body, field) in cases {
        let response = app.post("/api/posts", Some(&token), &body).await;
        let error = error(response, 400).await;
        assert_eq!(error["code"], "validation_failed");
        assert_eq!(error["details"][0]["field"], field, "{error}");
    }
    let unknown = app
        .post(
            "/api/posts",
            Some(&token),
            &json!({"title": "T", "body": "B", "author": "x"}),
        )
        .await;
    assert_eq!(error(unknown, 400).await["code"], "validation_failed");
    assert_eq!(app.count("posts").await, 0, "nothing half-written");

    let id = published(&app, &token, "Open", &[]).await;
    for body in [json!({"body": ""}), json!({"body": "x".repeat(5001)})] {
        let response = app
            .post(&format!("/api/posts/{id}/comments"), Some(&token), &body)
            .await;
        assert_eq!(error(response, 400).await["details"][0]["field"], "body");
    }
    assert_eq!(app.count("comments").await, 0);
    for path in [
        "/api/posts/not-a-uuid",
        "/api/posts/0193a9a0-0000-7000-8000-000000000000",
    ] {
        assert_eq!(error(app.get(path).await, 404).await["code"], "not_found");
    }
    let edit = app
        .patch(
            &format!("/api/posts/{id}"),
            &token,
            &json!({"tags": ["UPPER"]}),
        )
        .await;
    assert_eq!(error(edit, 400).await["details"][0]["field"], "tags");
    for query in ["author=nope", "tag=Bad!", "limit=101", "sort=title"] {
        let response = app.get(&format!("/api/posts?{query}")).await;
        assert_eq!(
            error(response, 400).await["code"],
            "validation_failed",
            "{query}"
        );
    }
}
both_backends!(bad_posts_and_comments_are_400_with_details_and_write_nothing);

async fn script_tags_in_markdown_never_reach_the_html(app: TestApp) {
    let (token, _) = author(&app).await;
    let body = "Hi <script>alert('x')</script>\n\n<img src=x onerror=\"alert(1)\">\n\n[click](javascript:alert(2))";
    let post = write_post(
        &app,
        &token,
        json!({"title": "XSS", "body": body, "published": true}),
    )
    .await;
    let html = post["bodyHtml"].as_str().unwrap().to_lowercase();
    assert!(
        !html.contains("<script") && !html.contains("onerror") && !html.contains("javascript:"),
        "{html}"
    );
    assert_eq!(post["body"], body, "the source is kept as written");
    let list: Value = app.get("/api/posts").await.json().await.unwrap();
    assert!(!list["data"][0]["bodyHtml"]
        .as_str()
        .unwrap()
        .contains("<script"));
}
both_backends!(script_tags_in_markdown_never_reach_the_html);

async fn posts_filter_by_author_tag_and_text_and_paginate(app: TestApp) {
    let (ann, ann_id) = author(&app).await;
    let (bob, _) = author(&app).await;
    published(&app, &ann, "Rust ownership explained", &["rust"]).await;
    published(&app, &ann, "Gardening in spring", &["garden"]).await;
    published(&app, &bob, "Async rust patterns", &["rust", "async"]).await;
    let ids = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_ann: Value = app
        .get(&format!("/api/posts?author={ann_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ids(&by_ann),
        ["Gardening in spring", "Rust ownership explained"]
    );
    let rust: Value = app.get("/api/posts?tag=rust").await.json().await.unwrap();
    assert_eq!(
        ids(&rust),
        ["Async rust patterns", "Rust ownership explained"]
    );
    let searched: Value = app.get("/api/posts?q=garden").await.json().await.unwrap();
    assert_eq!(ids(&searched), ["Gardening in spring"]);
    let page: Value = app
        .get("/api/posts?limit=2&page=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&page), ["Rust ownership explained"]);
    assert_eq!(
        page["meta"],
        json!({"total": 3, "page": 2, "limit": 2, "totalPages": 2, "hasNext": false, "hasPrev": true})
    );
    let past: Value = app
        .get("/api/posts?limit=2&page=5")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (past["data"].clone(), past["meta"]["total"].clone()),
        (json!([]), json!(3))
    );
}
both_backends!(posts_filter_by_author_tag_and_text_and_paginate);

/// A comment racing its post's deletion: the use case read the post, the deletion committed,
/// then the insert runs. The store must name the violated key on both backends (SQLite reports
/// foreign keys without a name), so the use case answers 404 instead of an opaque 500.
async fn a_comment_on_a_deleted_post_names_the_foreign_key(db: Database) {
    Migrator::new(&db, agora::modules::all_migrations())
        .up(&["content"], &mut |_| {})
        .await
        .unwrap();
    let comment = Comment {
        id: Uuid::now_v7(),
        post_id: Uuid::now_v7(),
        author_id: Uuid::now_v7(),
        body: CommentBody::parse("Too late").unwrap(),
        created_at: agora_domain::timestamp_now(),
    };
    let mut tx = db.begin().await.unwrap();
    let error = SqlCommentRepository::new(db.clone())
        .insert(&mut tx, &comment)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Constraint { constraint } if constraint == "comments_post_id_fkey"),
        "{error:?}"
    );
}
both_stores!(a_comment_on_a_deleted_post_names_the_foreign_key);
