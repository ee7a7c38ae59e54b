//! Login, refresh rotation with reuse detection, logout, authentication.

use std::{sync::atomic::Ordering, time::Duration};

use agora_domain::{
    identity::{Role, User},
    ratelimit::Quota,
};

use super::{account, age_spent_refresh_tokens, credentials, login, PASSWORD};
use crate::{identity::IdentitySettings, testing, AppError};

#[tokio::test]
async fn a_wrong_email_and_a_wrong_password_fail_the_same_way_at_the_same_cost() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;

    let unknown = t
        .identity
        .login(credentials("nobody@example.com", PASSWORD))
        .await
        .unwrap_err();
    let wrong = t
        .identity
        .login(credentials("grace@example.com", "Wrong1password"))
        .await
        .unwrap_err();
    assert_eq!(
        (unknown.code(), unknown.message()),
        (wrong.code(), wrong.message())
    );
    assert!(matches!(wrong, AppError::AuthenticationFailed));
    // One hash verification each: an unknown email is checked against the dummy hash.
    assert_eq!(t.hasher.verifications.load(Ordering::SeqCst), 2);
    assert_eq!(
        t.db.committed().audit_actions(),
        ["auth.login_failed", "auth.login_failed"]
    );
}

#[tokio::test]
async fn failed_logins_use_up_the_budget_and_then_even_the_right_password_waits() {
    let t = testing::identity_with(IdentitySettings {
        auth_failures: Some(Quota {
            count: 3,
            period: Duration::from_secs(900),
        }),
        ..IdentitySettings::default()
    })
    .await;
    account(&t, "grace@example.com", Role::User).await;
    for _ in 0..3 {
        assert!(matches!(
            t.identity
                .login(credentials("grace@example.com", "Wrong1password"))
                .await,
            Err(AppError::AuthenticationFailed)
        ));
    }
    match t
        .identity
        .login(credentials("grace@example.com", PASSWORD))
        .await
    {
        Err(AppError::RateLimited {
            retry_after_secs,
            limit,
            ..
        }) => {
            assert!(retry_after_secs >= 1);
            assert_eq!(limit, Some(3));
        }
        other => panic!("expected rate limiting, got {other:?}"),
    }
}

#[tokio::test]
async fn successful_logins_do_not_count_against_the_budget() {
    let t = testing::identity_with(IdentitySettings {
        auth_failures: Some(Quota {
            count: 2,
            period: Duration::from_secs(900),
        }),
        ..IdentitySettings::default()
    })
    .await;
    account(&t, "grace@example.com", Role::User).await;
    for _ in 0..5 {
        login(&t, "grace@example.com").await;
    }
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in() {
    let t = testing::identity().await;
    let user = account(&t, "grace@example.com", Role::User).await;
    t.db.committed().users[0].disabled = true;
    assert!(matches!(
        t.identity
            .login(credentials("grace@example.com", PASSWORD))
            .await,
        Err(AppError::AuthenticationFailed)
    ));
    assert_eq!(t.db.committed().audit[0].subject_id, Some(user.id));
}

#[tokio::test]
async fn a_login_replaces_a_hash_of_earlier_parameters_once_and_changes_nothing_else() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    let before = {
        let mut tables = t.db.committed();
        tables.users[0].password_hash = format!("old:{PASSWORD}");
        tables.users[0].clone()
    };

    login(&t, "grace@example.com").await;
    let after = t.db.committed().users[0].clone();
    assert_eq!(after.password_hash, format!("hash:{PASSWORD}"));
    assert_eq!(
        User {
            password_hash: before.password_hash.clone(),
            ..after
        },
        before,
        "only the hash changed"
    );
    assert_eq!(t.db.calls("users.replace_password_hash"), 1);

    login(&t, "grace@example.com").await;
    assert_eq!(
        t.db.calls("users.replace_password_hash"),
        1,
        "a current hash is left alone"
    );
}

#[tokio::test]
async fn a_failed_rehash_costs_only_the_upgrade() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    t.db.committed().users[0].password_hash = format!("old:{PASSWORD}");
    t.db.fail_on("users.replace_password_hash");

    login(&t, "grace@example.com").await;
    assert_eq!(
        t.db.committed().users[0].password_hash,
        format!("old:{PASSWORD}")
    );
    assert_eq!(t.db.committed().audit_actions(), ["auth.login"]);

    t.db.heal("users.replace_password_hash");
    login(&t, "grace@example.com").await;
    assert_eq!(
        t.db.committed().users[0].password_hash,
        format!("hash:{PASSWORD}"),
        "the next login upgrades it"
    );
}

#[tokio::test]
async fn a_disabled_account_s_outdated_hash_is_not_upgraded() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    {
        let mut tables = t.db.committed();
        tables.users[0].password_hash = format!("old:{PASSWORD}");
        tables.users[0].disabled = true;
    }
    let refused = t
        .identity
        .login(credentials("grace@example.com", PASSWORD))
        .await;
    assert!(matches!(refused, Err(AppError::AuthenticationFailed)));
    assert_eq!(t.db.calls("users.replace_password_hash"), 0);
}

#[tokio::test]
async fn a_failed_login_leaves_an_outdated_hash_as_it_is() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    t.db.committed().users[0].password_hash = format!("old:{PASSWORD}");
    let failed = t
        .identity
        .login(credentials("grace@example.com", "Wrong1password"))
        .await;
    assert!(matches!(failed, Err(AppError::AuthenticationFailed)));
    assert_eq!(
        t.db.committed().users[0].password_hash,
        format!("old:{PASSWORD}")
    );
}

#[tokio::test]
async fn refreshing_spends_the_token_and_continues_the_session() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    let first = login(&t, "grace@example.com").await;
    let second = t
        .identity
        .refresh(Some(first.refresh_token.clone()))
        .await
        .unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    let before = t.identity.authenticate(&first.access_token).await.unwrap();
    let after = t.identity.authenticate(&second.access_token).await.unwrap();
    assert_eq!(before.session_id, after.session_id, "one family per login");
    let tokens = &t.db.committed().refresh_tokens;
    assert_eq!(tokens.len(), 2);
    assert!(tokens[0].1.used_at.is_some() && tokens[1].1.used_at.is_none());
}

#[tokio::test]
async fn presenting_a_spent_refresh_token_revokes_the_whole_family() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    let stolen = login(&t, "grace@example.com").await;
    let rotated = t
        .identity
        .refresh(Some(stolen.refresh_token.clone()))
        .await
        .unwrap();
    age_spent_refresh_tokens(&t);

    assert!(matches!(
        t.identity.refresh(Some(stolen.refresh_token)).await,
        Err(AppError::TokenRevoked)
    ));
    assert!(matches!(
        t.identity.refresh(Some(rotated.refresh_token)).await,
        Err(AppError::TokenRevoked)
    ));
    assert!(matches!(
        t.identity.authenticate(&rotated.access_token).await,
        Err(AppError::TokenRevoked)
    ));
    let db = t.db.committed();
    assert!(db
        .refresh_tokens
        .iter()
        .all(|(_, r)| r.revoked_at.is_some()));
    assert!(db.audit_actions().contains(&"auth.refresh_reuse_detected"));
}

#[tokio::test]
async fn an_unknown_or_missing_refresh_token_is_refused() {
    let t = testing::identity().await;
    assert!(matches!(
        t.identity.refresh(Some("made-up".into())).await,
        Err(AppError::AuthenticationFailed)
    ));
    assert_eq!(
        super::fields(t.identity.refresh(None).await.unwrap_err()),
        ["refreshToken"]
    );
}

#[tokio::test]
async fn logging_out_denies_the_access_token_and_revokes_the_refresh_family() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    let session = login(&t, "grace@example.com").await;
    let other = login(&t, "grace@example.com").await;
    let caller = t
        .identity
        .authenticate(&session.access_token)
        .await
        .unwrap();

    t.identity.logout(&caller).await.unwrap();
    assert!(matches!(
        t.identity.authenticate(&session.access_token).await,
        Err(AppError::TokenRevoked)
    ));
    assert!(matches!(
        t.identity.refresh(Some(session.refresh_token)).await,
        Err(AppError::TokenRevoked)
    ));
    // Announced for services that only share Redis with identity.
    let announced = t.notices.denied.lock().unwrap().clone();
    assert!(announced.contains_key(&format!("sid:{}", caller.session_id)));
    // Another device's session is untouched.
    t.identity.authenticate(&other.access_token).await.unwrap();
    t.identity.refresh(Some(other.refresh_token)).await.unwrap();
}

#[tokio::test]
async fn a_forged_access_token_fails_authentication() {
    let t = testing::identity().await;
    assert!(matches!(
        t.identity.authenticate("forged").await,
        Err(AppError::AuthenticationFailed)
    ));
}

#[tokio::test]
async fn a_spent_refresh_token_within_the_grace_period_gets_the_same_pair_again() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    let first = login(&t, "grace@example.com").await;
    let rotated = t
        .identity
        .refresh(Some(first.refresh_token.clone()))
        .await
        .unwrap();
    let again = t
        .identity
        .refresh(Some(first.refresh_token.clone()))
        .await
        .unwrap();
    assert_eq!(
        (&again.access_token, &again.refresh_token),
        (&rotated.access_token, &rotated.refresh_token)
    );
    let db = t.db.committed();
    assert_eq!(db.refresh_tokens.len(), 2, "no second rotation");
    assert!(db
        .refresh_tokens
        .iter()
        .all(|(_, r)| r.revoked_at.is_none()));
    assert!(!db.audit_actions().contains(&"auth.refresh_reuse_detected"));
}

#[tokio::test]
async fn with_a_zero_grace_period_a_second_use_revokes_the_family_at_once() {
    let t = testing::identity_with(IdentitySettings {
        refresh_grace: Duration::ZERO,
        ..IdentitySettings::default()
    })
    .await;
    account(&t, "grace@example.com", Role::User).await;
    let first = login(&t, "grace@example.com").await;
    t.identity
        .refresh(Some(first.refresh_token.clone()))
        .await
        .unwrap();
    assert!(matches!(
        t.identity.refresh(Some(first.refresh_token)).await,
        Err(AppError::TokenRevoked)
    ));
    assert!(t
        .db
        .committed()
        .refresh_tokens
        .iter()
        .all(|(_, r)| r.revoked_at.is_some()));
}

#[tokio::test]
async fn the_grace_period_does_not_revive_a_revoked_family() {
    let t = testing::identity().await;
    account(&t, "grace@example.com", Role::User).await;
    let first = login(&t, "grace@example.com").await;
    let rotated = t
        .identity
        .refresh(Some(first.refresh_token.clone()))
        .await
        .unwrap();
    let principal = t
        .identity
        .authenticate(&rotated.access_token)
        .await
        .unwrap();
    t.identity.logout(&principal).await.unwrap();
    assert!(matches!(
        t.identity.refresh(Some(first.refresh_token)).await,
        Err(AppError::TokenRevoked)
    ));
}
