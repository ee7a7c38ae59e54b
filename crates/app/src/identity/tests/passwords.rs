//! Forgotten, reset and changed passwords.

use agora_domain::identity::Role;

use agora_domain::ports::OutboxMessage;

use super::{account, credentials, fields, forgot, last_mail_to, login, token_in, PASSWORD};
use crate::{
    identity::{ChangePasswordInput, ResetPasswordInput},
    testing, AppError,
};

const NEW_PASSWORD: &str = "Brand4new";

#[tokio::test]
async fn resetting_the_password_ends_every_session_of_the_account() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    let phone = login(&t, "grace@example.com").await;
    let laptop = login(&t, "grace@example.com").await;

    forgot(&t, "grace@example.com").await;
    let token = token_in(&last_mail_to(&t, "grace@example.com"));
    t.identity
        .reset_password(ResetPasswordInput {
            token: Some(token),
            password: Some(NEW_PASSWORD.into()),
        })
        .await
        .unwrap();

    for session in [phone, laptop] {
        assert!(matches!(
            t.identity.authenticate(&session.access_token).await,
            Err(AppError::TokenRevoked)
        ));
        assert!(matches!(
            t.identity.refresh(Some(session.refresh_token)).await,
            Err(AppError::TokenRevoked)
        ));
    }
    assert!(matches!(
        t.identity
            .login(credentials("grace@example.com", PASSWORD))
            .await,
        Err(AppError::AuthenticationFailed)
    ));
    t.identity
        .login(credentials("grace@example.com", NEW_PASSWORD))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_reset_link_works_once() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    forgot(&t, "grace@example.com").await;
    let token = token_in(&last_mail_to(&t, "grace@example.com"));
    let reset = || ResetPasswordInput {
        token: Some(token.clone()),
        password: Some(NEW_PASSWORD.into()),
    };
    t.identity.reset_password(reset()).await.unwrap();
    assert_eq!(
        fields(t.identity.reset_password(reset()).await.unwrap_err()),
        ["token"]
    );
}

#[tokio::test]
async fn using_one_reset_link_kills_the_other_outstanding_ones() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        forgot(&t, "grace@example.com").await;
        tokens.push(token_in(&last_mail_to(&t, "grace@example.com")));
    }
    let reset = |token: &String| ResetPasswordInput {
        token: Some(token.clone()),
        password: Some(NEW_PASSWORD.into()),
    };
    t.identity.reset_password(reset(&tokens[1])).await.unwrap();
    for other in [&tokens[0], &tokens[2]] {
        assert_eq!(
            fields(t.identity.reset_password(reset(other)).await.unwrap_err()),
            ["token"]
        );
    }
}

#[tokio::test]
async fn forgetting_the_password_of_an_unknown_email_looks_the_same_and_sends_nothing() {
    let t = testing::identity().await;
    forgot(&t, "nobody@example.com").await;
    assert!(t.db.committed().outbox.is_empty());
}

/// The request path does the same work for a known and an unknown address — one job written,
/// no account looked up — so neither its answer nor its time tells them apart (ADR 0015).
#[tokio::test]
async fn forgot_password_answers_without_looking_the_account_up() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    t.db.committed().outbox.clear();
    let lookups = || t.db.calls("users.find") + t.db.calls("users.get_by_email");
    let before = lookups();
    let mut written = Vec::new();
    for email in ["grace@example.com", "nobody@example.com"] {
        t.identity
            .forgot_password(Some(email.into()), Some("192.0.2.7".into()))
            .await
            .unwrap();
        let outbox = std::mem::take(&mut t.db.committed().outbox);
        written.push(outbox);
    }
    assert_eq!(lookups(), before, "no account lookup on the request path");
    let shapes: Vec<Vec<(String, Vec<String>)>> = written
        .iter()
        .map(|outbox| {
            outbox
                .iter()
                .map(|message| match message {
                    OutboxMessage::Job(job) => (
                        job.kind.clone(),
                        job.payload.as_object().unwrap().keys().cloned().collect(),
                    ),
                    other => panic!("only a job is written, got {other:?}"),
                })
                .collect()
        })
        .collect();
    assert_eq!(shapes[0], shapes[1]);
    assert_eq!(
        shapes[0],
        [(
            "identity.password_reset".to_owned(),
            vec!["email".to_owned(), "ip".to_owned()]
        )]
    );
    assert!(t.db.committed().audit.is_empty(), "nothing recorded yet");
}

#[tokio::test]
async fn the_deferred_reset_mails_an_active_account_only() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    forgot(&t, "GRACE@example.com").await;
    forgot(&t, "nobody@example.com").await;
    let db = t.db.committed();
    let mails: Vec<&str> = db.mails().iter().map(|m| m.to.as_str()).collect();
    assert_eq!(mails, ["grace@example.com"]);
    assert_eq!(db.events().len(), 2, "user.created and the reset request");
    assert!(db
        .audit_actions()
        .contains(&"auth.password_reset_requested"));
}

#[tokio::test]
async fn changing_the_password_keeps_only_the_current_session() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    let current = login(&t, "grace@example.com").await;
    let other = login(&t, "grace@example.com").await;
    let caller = t
        .identity
        .authenticate(&current.access_token)
        .await
        .unwrap();

    let wrong = t
        .identity
        .change_password(
            &caller,
            ChangePasswordInput {
                current_password: Some("Not1mine".into()),
                new_password: Some(NEW_PASSWORD.into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(fields(wrong), ["currentPassword"]);

    t.identity
        .change_password(
            &caller,
            ChangePasswordInput {
                current_password: Some(PASSWORD.into()),
                new_password: Some(NEW_PASSWORD.into()),
            },
        )
        .await
        .unwrap();
    t.identity
        .authenticate(&current.access_token)
        .await
        .unwrap();
    assert!(matches!(
        t.identity.authenticate(&other.access_token).await,
        Err(AppError::TokenRevoked)
    ));
}
