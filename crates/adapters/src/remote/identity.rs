//! Identity's [`UserDirectory`] over HTTP (`POST /internal/identity/profiles`).

use agora_domain::{
    ports::{
        identity::{UserDirectory, UserProfile},
        PortError,
    },
    service_api::{Ids, Profiles, PROFILES},
};
use async_trait::async_trait;
use uuid::Uuid;

use super::{ServiceClient, BATCH};

/// Identity's directory, answered by the identity service.
pub struct RemoteUserDirectory {
    client: ServiceClient,
}

impl RemoteUserDirectory {
    /// The directory behind `client`.
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }

    /// The client (its breaker's state, for readiness).
    pub fn client(&self) -> &ServiceClient {
        &self.client
    }
}

#[async_trait]
impl UserDirectory for RemoteUserDirectory {
    async fn profiles(&self, ids: &[Uuid]) -> Result<Vec<UserProfile>, PortError> {
        let mut profiles = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let answer: Profiles = self
                .client
                .call(
                    reqwest::Method::POST,
                    PROFILES,
                    &Ids {
                        ids: chunk.to_vec(),
                    },
                )
                .await?;
            for dto in answer.profiles {
                profiles.push(UserProfile::try_from(dto).map_err(PortError::Unexpected)?);
            }
        }
        // Chunks may overlap when ids repeat across them; the contract says once per id.
        profiles.sort_by_key(|p| p.id);
        profiles.dedup_by_key(|p| p.id);
        Ok(profiles)
    }
}
