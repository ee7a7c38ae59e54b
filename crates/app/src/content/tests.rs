//! Content use cases against in-memory fakes.

use agora_domain::{identity::Role, paging::PageRequest};

use super::*;
use crate::testing::{content, principal};

fn input(title: &str, published: bool) -> NewPostInput {
    NewPostInput {
        title: title.into(),
        body: "Some *markdown*".into(),
        tags: vec!["news".into()],
        published,
    }
}

fn list_all() -> PostListInput {
    PostListInput {
        page: PageRequest { page: 1, limit: 50 },
        ..PostListInput::default()
    }
}

#[tokio::test]
async fn publishing_emits_post_published_once_and_a_draft_emits_nothing() {
    let h = content();
    let author = principal(Role::User);
    let draft = h
        .content
        .create(&author, input("Draft", false))
        .await
        .unwrap();
    assert!(h.db.committed().events().is_empty());
    let change = PostChange {
        published: Some(true),
        ..PostChange::default()
    };
    h.content
        .update(&author, draft.post.id, change.clone())
        .await
        .unwrap();
    h.content
        .update(&author, draft.post.id, change)
        .await
        .unwrap();
    let events = h.db.committed().events().len();
    assert_eq!(events, 1, "published once, not on every edit");
    assert!(draft.body_html.contains("<em>markdown</em>"));
}

#[tokio::test]
async fn an_unverified_author_drafts_but_cannot_publish_or_comment_and_nothing_is_written() {
    let h = content();
    let mut author = principal(Role::User);
    author.email_verified = false;
    let refused = h
        .content
        .create(&author, input("T", true))
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::EmailNotVerified));
    assert!(h.db.committed().posts.is_empty());
    let draft = h.content.create(&author, input("T", false)).await.unwrap();
    let refused = h
        .content
        .add_comment(&author, draft.post.id, "hi")
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::EmailNotVerified));
    assert!(h.db.committed().comments.is_empty());
}

#[tokio::test]
async fn drafts_of_others_do_not_exist_and_their_posts_are_forbidden_to_change() {
    let h = content();
    let (author, other, admin) = (
        principal(Role::User),
        principal(Role::User),
        principal(Role::Admin),
    );
    let draft = h
        .content
        .create(&author, input("Draft", false))
        .await
        .unwrap();
    let id = draft.post.id;
    assert!(matches!(
        h.content.post(Some(&other), id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        h.content.post(None, id).await,
        Err(AppError::NotFound)
    ));
    assert!(h.content.post(Some(&admin), id).await.is_ok());
    assert!(matches!(
        h.content.delete(&other, id).await,
        Err(AppError::NotFound)
    ));
    let public = h
        .content
        .create(&author, input("Public", true))
        .await
        .unwrap();
    assert!(matches!(
        h.content.delete(&other, public.post.id).await,
        Err(AppError::InsufficientPermissions)
    ));
    h.content.delete(&admin, public.post.id).await.unwrap();
    let visible = h.content.list(None, &list_all()).await.unwrap();
    assert_eq!(visible.total, 0);
}

#[tokio::test]
async fn a_list_reads_posts_once_and_authors_once_whatever_its_size() {
    let h = content();
    let author = principal(Role::User);
    for i in 0..12 {
        h.content
            .create(&author, input(&format!("P{i}"), true))
            .await
            .unwrap();
    }
    let (posts, profiles) = (h.db.calls("posts.list"), h.db.calls("users.profiles"));
    let page = h.content.list(None, &list_all()).await.unwrap();
    assert_eq!(page.items.len(), 12);
    assert_eq!(h.db.calls("posts.list") - posts, 1);
    assert_eq!(h.db.calls("users.profiles") - profiles, 1);
    assert_eq!(
        page.items[0].author.name, "Unknown author",
        "not in identity: still listed"
    );
}

#[tokio::test]
async fn bad_input_reports_every_broken_rule_at_once() {
    let h = content();
    let author = principal(Role::User);
    let bad = NewPostInput {
        title: " ".into(),
        body: "a".repeat(51 * 1024),
        tags: (0..11).map(|i| format!("t{i}")).collect(),
        published: false,
    };
    let AppError::Validation(errors) = h.content.create(&author, bad).await.unwrap_err() else {
        panic!("not a validation error");
    };
    let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "body", "tags"]);
    let filters = PostListInput {
        author: Some("nope".into()),
        tag: Some("Bad!".into()),
        q: Some("x".repeat(201)),
        ..list_all()
    };
    let AppError::Validation(errors) = h.content.list(None, &filters).await.unwrap_err() else {
        panic!("not a validation error");
    };
    assert_eq!(errors.errors().len(), 3);
}

#[tokio::test]
async fn batch_reads_group_comments_and_count_posts_per_author() {
    let h = content();
    let (ann, bob) = (principal(Role::User), principal(Role::User));
    let first = h.content.create(&ann, input("A", true)).await.unwrap();
    let second = h.content.create(&ann, input("B", true)).await.unwrap();
    h.content
        .add_comment(&bob, first.post.id, "one")
        .await
        .unwrap();
    h.content
        .add_comment(&ann, first.post.id, "two")
        .await
        .unwrap();
    let grouped = h
        .content
        .comments_of(&[first.post.id, second.post.id])
        .await
        .unwrap();
    let bodies: Vec<&str> = grouped[&first.post.id]
        .iter()
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(bodies, ["one", "two"]);
    assert!(!grouped.contains_key(&second.post.id));
    let counts = h
        .content
        .post_counts(&[ann.user_id, bob.user_id])
        .await
        .unwrap();
    assert_eq!(
        (counts.get(&ann.user_id), counts.get(&bob.user_id)),
        (Some(&2), None)
    );
    let pages = h
        .content
        .posts_of_authors(None, &[ann.user_id], PageRequest { page: 1, limit: 1 })
        .await
        .unwrap();
    assert_eq!(
        (pages[&ann.user_id].items.len(), pages[&ann.user_id].total),
        (1, 2)
    );
}
