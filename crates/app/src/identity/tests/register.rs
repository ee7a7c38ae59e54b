//! Registration and email verification.

use std::time::Duration;

use super::{fields, last_mail_to, registration, token_in};
use crate::{
    identity::{IdentitySettings, RegisterInput},
    testing, AppError,
};

#[tokio::test]
async fn registering_stores_the_user_with_its_mail_and_event_in_one_transaction() {
    let t = testing::identity().await;
    let user = t
        .identity
        .register(registration("Ada@Example.com"))
        .await
        .unwrap();
    assert_eq!(user.email.as_str(), "ada@example.com");
    assert!(!user.is_verified);

    let db = t.db.committed();
    assert_eq!(db.users, std::slice::from_ref(&user));
    assert_eq!(db.email_tokens.len(), 1);
    let mails = db.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Verify your email");
    assert!(mails[0].text.contains("/verify-email?token="));
    let events = db.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "user.created");
    assert_eq!(events[0].data["email"], "ada@example.com");
    assert_ne!(user.password_hash, super::PASSWORD, "only a hash is stored");
}

#[tokio::test]
async fn registering_with_a_taken_email_is_email_taken() {
    let t = testing::identity().await;
    t.identity
        .register(registration("ada@example.com"))
        .await
        .unwrap();
    let error = t
        .identity
        .register(registration("ADA@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::EmailTaken));
    let db = t.db.committed();
    assert_eq!(db.users.len(), 1);
    assert_eq!(
        db.outbox.len(),
        2,
        "the first registration's mail and event only"
    );
}

#[tokio::test]
async fn concealed_registration_with_a_taken_email_answers_like_a_new_one_and_mails_the_owner() {
    let t = testing::identity_with(IdentitySettings {
        registration_conceal_taken: true,
        ..IdentitySettings::default()
    })
    .await;
    let owner = t
        .identity
        .register(registration("ada@example.com"))
        .await
        .unwrap();
    let look_alike = t
        .identity
        .register(registration("ADA@example.com"))
        .await
        .unwrap();
    assert_ne!(look_alike.id, owner.id, "the owner's id is not revealed");
    assert_eq!(
        (
            look_alike.email.as_str(),
            look_alike.is_verified,
            look_alike.role
        ),
        ("ada@example.com", false, owner.role)
    );
    let db = t.db.committed();
    assert_eq!(db.users.len(), 1, "nothing stored for the attempt");
    let mails: Vec<&str> = db
        .mails()
        .into_iter()
        .filter(|m| m.to == "ada@example.com")
        .map(|m| m.subject.as_str())
        .collect();
    assert_eq!(
        mails,
        [
            "Verify your email",
            "Someone tried to register with your address"
        ]
    );
    assert_eq!(db.events().len(), 1, "no user.created for the attempt");
    assert!(db
        .audit_actions()
        .contains(&"auth.registration_with_taken_email"));
}

#[tokio::test]
async fn a_registration_that_fails_midway_leaves_nothing_behind() {
    let t = testing::identity().await;
    t.db.fail_on("outbox.enqueue");
    assert!(matches!(
        t.identity.register(registration("ada@example.com")).await,
        Err(AppError::Unavailable(_))
    ));
    let db = t.db.committed();
    assert!(db.users.is_empty() && db.email_tokens.is_empty() && db.outbox.is_empty());
}

#[tokio::test]
async fn registering_reports_every_missing_or_invalid_field() {
    let t = testing::identity().await;
    let error = t
        .identity
        .register(RegisterInput {
            email: None,
            password: Some("short".into()),
            name: Some("A".into()),
            age: Some(500),
            ..RegisterInput::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(error), ["email", "password", "name", "age"]);
    assert!(t.db.committed().users.is_empty());
}

#[tokio::test]
async fn the_mailed_link_verifies_the_email_once() {
    let t = testing::identity().await;
    let user = t
        .identity
        .register(registration("ada@example.com"))
        .await
        .unwrap();
    let token = token_in(&last_mail_to(&t, "ada@example.com"));

    t.identity.verify_email(Some(token.clone())).await.unwrap();
    assert!(t.db.committed().users[0].is_verified);
    assert!(t
        .db
        .committed()
        .events()
        .iter()
        .any(|e| e.event_type == "user.verified" && e.aggregate_id == user.id));

    let again = t.identity.verify_email(Some(token)).await.unwrap_err();
    assert_eq!(fields(again), ["token"], "single use");
}

#[tokio::test]
async fn an_expired_verification_link_is_rejected() {
    let t = testing::identity_with(IdentitySettings {
        verify_ttl: Duration::ZERO,
        ..IdentitySettings::default()
    })
    .await;
    t.identity
        .register(registration("ada@example.com"))
        .await
        .unwrap();
    let token = token_in(&last_mail_to(&t, "ada@example.com"));
    match t.identity.verify_email(Some(token)).await {
        Err(AppError::Validation(errors)) => {
            assert_eq!(errors.errors()[0].message, "Verification link has expired");
        }
        other => panic!("expected an expired link, got {other:?}"),
    }
    assert!(!t.db.committed().users[0].is_verified);
}

#[tokio::test]
async fn a_verified_account_gets_no_new_verification_mail() {
    let t = testing::identity().await;
    let user = super::account(&t, "grace@example.com", agora_domain::identity::Role::User).await;
    let mut caller = testing::principal(agora_domain::identity::Role::User);
    caller.user_id = user.id;
    t.identity.resend_verification(&caller).await.unwrap();
    assert!(t.db.committed().mails().is_empty());
}
