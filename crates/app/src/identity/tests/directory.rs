//! The published `UserDirectory`, answered by `Identity` over the fakes.

use agora_domain::{
    identity::Role,
    ports::{PortError, UserDirectory},
};
use uuid::Uuid;

use super::account;
use crate::{testing, AppError};

#[tokio::test]
async fn a_batch_of_profiles_is_one_read_and_unknown_ids_are_absent() {
    let t = testing::identity().await;
    let ada = account(&t, "ada@example.com", Role::User).await;
    let root = account(&t, "root@example.com", Role::Admin).await;
    let unknown = Uuid::now_v7();

    let mut profiles = t
        .identity
        .profiles(&[root.id, unknown, ada.id, root.id])
        .await
        .unwrap();
    profiles.sort_by_key(|p| p.id);

    let ids: Vec<Uuid> = profiles.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![ada.id, root.id], "repeats once, unknown absent");
    assert_eq!(profiles[0].name, ada.name);
    assert_eq!(
        (profiles[0].role, profiles[1].role),
        (Role::User, Role::Admin)
    );
    assert_eq!(t.db.calls("users.get_many"), 1);
}

#[tokio::test]
async fn a_disabled_user_still_resolves_so_their_content_stays_attributed() {
    let t = testing::identity().await;
    let gone = account(&t, "gone@example.com", Role::User).await;
    t.db.committed().users[0].disabled = true;

    let profiles = t.identity.profiles(&[gone.id]).await.unwrap();

    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].id, gone.id);
}

#[tokio::test]
async fn no_ids_need_no_read() {
    let t = testing::identity().await;
    assert!(t.identity.profiles(&[]).await.unwrap().is_empty());
    assert_eq!(t.db.calls("users.get_many"), 0);
}

#[tokio::test]
async fn a_profile_exposes_nothing_private() {
    let t = testing::identity().await;
    let ada = account(&t, "ada@example.com", Role::User).await;

    let profile = t.identity.profiles(&[ada.id]).await.unwrap().remove(0);

    // The whole value, destructured: a new field must be a decision, not an accident.
    let agora_domain::ports::UserProfile { id, name, role } = profile.clone();
    assert_eq!((id, name, role), (ada.id, ada.name.clone(), ada.role));
    let shown = format!("{profile:?}");
    assert!(!shown.contains("ada@example.com"), "{shown}");
    assert!(!shown.contains(&ada.password_hash), "{shown}");
}

#[tokio::test]
async fn a_store_outage_is_unavailable_and_answers_503() {
    let t = testing::identity().await;
    t.db.fail_on("users.get_many");

    let error = t.identity.profiles(&[Uuid::now_v7()]).await.unwrap_err();

    assert!(matches!(error, PortError::Unavailable(_)), "{error:?}");
    assert!(matches!(AppError::from(error), AppError::Unavailable(_)));
}
