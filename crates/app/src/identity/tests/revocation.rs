//! Revocation lives in the database (ADR 0018): the session cache only saves queries, so losing
//! it never brings a revoked token back, and every revoking change reaches it after commit.

use agora_domain::identity::Role;

use super::{account, age_spent_refresh_tokens, login};
use crate::{identity::AdminUserChange, testing, AppError};

fn is_revoked<T: std::fmt::Debug>(outcome: Result<T, AppError>) -> bool {
    matches!(outcome, Err(AppError::TokenRevoked))
}

#[tokio::test]
async fn a_live_session_is_read_once_then_served_from_the_cache() {
    let t = testing::identity().await;
    account(&t, "ada@example.com", Role::User).await;
    let session = login(&t, "ada@example.com").await;
    for _ in 0..3 {
        t.identity
            .authenticate(&session.access_token)
            .await
            .unwrap();
    }
    assert_eq!(t.session_cache.loads(), 1);
    assert_eq!(t.db.calls("sessions.status"), 1);
}

#[tokio::test]
async fn a_logout_reaches_a_warm_cache_and_survives_losing_it() {
    let t = testing::identity().await;
    account(&t, "ada@example.com", Role::User).await;
    let session = login(&t, "ada@example.com").await;
    let caller = t
        .identity
        .authenticate(&session.access_token)
        .await
        .unwrap();

    t.identity.logout(&caller).await.unwrap();
    assert!(is_revoked(
        t.identity.authenticate(&session.access_token).await
    ));
    // What Redis losing its data did before: the answer comes from the database again.
    t.session_cache.lose_everything();
    assert!(is_revoked(
        t.identity.authenticate(&session.access_token).await
    ));
}

#[tokio::test]
async fn disabling_or_demoting_an_account_refuses_its_tokens_at_once() {
    for change in [
        AdminUserChange {
            disabled: Some(true),
            ..AdminUserChange::default()
        },
        AdminUserChange {
            role: Some("user".into()),
            ..AdminUserChange::default()
        },
    ] {
        let t = testing::identity().await;
        let admin = account(&t, "root@example.com", Role::Admin).await;
        account(&t, "boss@example.com", Role::Admin).await;
        let boss = login(&t, "boss@example.com").await;
        let root = login(&t, "root@example.com").await;
        let root = t.identity.authenticate(&root.access_token).await.unwrap();
        t.identity.authenticate(&boss.access_token).await.unwrap();

        let target = t
            .identity
            .authenticate(&boss.access_token)
            .await
            .unwrap()
            .user_id;
        t.identity.update_user(&root, target, change).await.unwrap();
        assert!(is_revoked(
            t.identity.authenticate(&boss.access_token).await
        ));
        t.session_cache.lose_everything();
        assert!(is_revoked(
            t.identity.authenticate(&boss.access_token).await
        ));
        // The acting admin's own session is untouched.
        assert_eq!(
            t.identity
                .authenticate(&login(&t, "root@example.com").await.access_token)
                .await
                .unwrap()
                .user_id,
            admin.id
        );
    }
}

#[tokio::test]
async fn a_disabled_account_is_refused_even_if_its_sessions_were_not_revoked() {
    let t = testing::identity().await;
    let user = account(&t, "ada@example.com", Role::User).await;
    let session = login(&t, "ada@example.com").await;
    // A change written outside the use cases (e.g. by SQL): the session check still reads it.
    t.db.committed()
        .users
        .iter_mut()
        .find(|u| u.id == user.id)
        .unwrap()
        .disabled = true;
    assert!(is_revoked(
        t.identity.authenticate(&session.access_token).await
    ));
}

#[tokio::test]
async fn a_database_that_cannot_answer_is_unavailable_never_admitted() {
    let t = testing::identity().await;
    account(&t, "ada@example.com", Role::User).await;
    let session = login(&t, "ada@example.com").await;
    t.db.fail_on("sessions.status");
    assert!(matches!(
        t.identity.authenticate(&session.access_token).await,
        Err(AppError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_reused_refresh_token_ends_the_session_for_its_access_tokens() {
    let t = testing::identity().await;
    account(&t, "ada@example.com", Role::User).await;
    let first = login(&t, "ada@example.com").await;
    let second = t
        .identity
        .refresh(Some(first.refresh_token.clone()))
        .await
        .unwrap();
    t.identity.authenticate(&second.access_token).await.unwrap();
    // Far past the grace period: a replay.
    age_spent_refresh_tokens(&t);
    assert!(is_revoked(
        t.identity.refresh(Some(first.refresh_token)).await
    ));
    assert!(is_revoked(
        t.identity.authenticate(&second.access_token).await
    ));
}
