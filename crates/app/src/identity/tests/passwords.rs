//! Forgotten, reset and changed passwords.

use agora_domain::identity::Role;

use super::{account, credentials, fields, last_mail_to, login, token_in, PASSWORD};
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

    t.identity
        .forgot_password(Some("grace@example.com".into()), None)
        .await
        .unwrap();
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
    t.identity
        .forgot_password(Some("grace@example.com".into()), None)
        .await
        .unwrap();
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
        t.identity
            .forgot_password(Some("grace@example.com".into()), None)
            .await
            .unwrap();
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
    t.identity
        .forgot_password(Some("nobody@example.com".into()), None)
        .await
        .unwrap();
    assert!(t.db.committed().outbox.is_empty());
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
