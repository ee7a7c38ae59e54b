//! Administration of accounts.

use agora_domain::identity::{Role, Tier};

use super::{account, fields, login};
use crate::{identity::AdminUserChange, testing, AppError};

#[tokio::test]
async fn an_admin_cannot_demote_or_disable_themselves() {
    let t = testing::identity().await;
    let admin = testing::principal(Role::Admin);
    for change in [
        AdminUserChange {
            role: Some("user".into()),
            ..AdminUserChange::default()
        },
        AdminUserChange {
            disabled: Some(true),
            ..AdminUserChange::default()
        },
    ] {
        let error = t
            .identity
            .update_user(&admin, admin.user_id, change)
            .await
            .unwrap_err();
        assert_eq!(error.code(), "conflict");
    }
}

#[tokio::test]
async fn only_admins_manage_accounts() {
    let t = testing::identity().await;
    let user = testing::principal(Role::User);
    assert!(matches!(
        t.identity
            .update_user(&user, user.user_id, AdminUserChange::default())
            .await,
        Err(AppError::InsufficientPermissions)
    ));
    assert!(matches!(
        t.identity.get_user(&user, user.user_id).await,
        Err(AppError::InsufficientPermissions)
    ));
}

#[tokio::test]
async fn every_unknown_role_or_tier_is_reported() {
    let t = testing::identity().await;
    let admin = testing::principal(Role::Admin);
    let error = t
        .identity
        .update_user(
            &admin,
            uuid::Uuid::now_v7(),
            AdminUserChange {
                role: Some("root".into()),
                tier: Some("platinum".into()),
                disabled: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(fields(error), ["role", "tier"]);
}

#[tokio::test]
async fn a_changed_account_loses_its_sessions_and_the_change_is_audited() {
    let t = testing::identity().await;
    let user = account(&t, "grace@example.com", Role::User).await;
    let session = login(&t, "grace@example.com").await;
    let admin = testing::principal(Role::Admin);

    let changed = t
        .identity
        .update_user(
            &admin,
            user.id,
            AdminUserChange {
                tier: Some("pro".into()),
                ..AdminUserChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.tier, Tier::Pro);
    assert!(matches!(
        t.identity.authenticate(&session.access_token).await,
        Err(AppError::TokenRevoked)
    ));
    let db = t.db.committed();
    let entry = db.audit.last().unwrap();
    assert_eq!(entry.action, "admin.user_updated");
    assert_eq!(entry.details["tier"]["to"], "pro");
}

#[tokio::test]
async fn an_unchanged_account_keeps_its_sessions() {
    let t = testing::identity().await;
    let user = account(&t, "grace@example.com", Role::User).await;
    let session = login(&t, "grace@example.com").await;
    t.identity
        .update_user(
            &testing::principal(Role::Admin),
            user.id,
            AdminUserChange {
                role: Some("user".into()),
                ..AdminUserChange::default()
            },
        )
        .await
        .unwrap();
    t.identity
        .authenticate(&session.access_token)
        .await
        .unwrap();
}
