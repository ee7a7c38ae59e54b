//! Identity's published [`UserDirectory`], answered in process by [`Identity`].

use agora_domain::ports::{PortError, UserDirectory, UserProfile};
use async_trait::async_trait;
use uuid::Uuid;

use super::Identity;

#[async_trait]
impl UserDirectory for Identity {
    /// One repository read (`get_many`) for the whole batch; see the trait for the contract.
    #[tracing::instrument(level = "debug", skip_all, fields(ids = ids.len()))]
    async fn profiles(&self, ids: &[Uuid]) -> Result<Vec<UserProfile>, PortError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let users = self.deps.users.get_many(ids).await?;
        let mut profiles: Vec<UserProfile> = users.iter().map(UserProfile::from).collect();
        // The repository already returns each user once; a fake or a future adapter might not.
        let mut seen = std::collections::HashSet::new();
        profiles.retain(|profile| seen.insert(profile.id));
        Ok(profiles)
    }
}
