//! Catalog's [`ProductCatalog`] and [`Inventory`] over HTTP (`/internal/catalog/…`). The
//! reservation calls are idempotent by reservation id, so the client retries them too. The
//! caller's transaction cannot travel: `reserve` commits a *pending* reservation in catalog
//! ([`Hold::Pending`]) and the caller confirms it after its own commit (ADR 0031).

use agora_domain::{
    ports::{
        catalog::{ProductCatalog, ProductSnapshot},
        Hold, Inventory, InventoryError, PortError, ReservationLine, Tx,
    },
    service_api::{Ids, ReservationOutcome, ReserveRequest, Snapshots, RESERVATIONS, SNAPSHOTS},
};
use async_trait::async_trait;
use uuid::Uuid;

use super::{ServiceClient, BATCH};

/// A failure injected into the saga by tests (feature `test-hooks`).
#[cfg(feature = "test-hooks")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `reserve` succeeds in catalog, then reports a failure (the answer was lost).
    FailAfterReserve,
    /// `reserve` succeeds in catalog, then never returns (the process "crashes" here).
    HangAfterReserve,
    /// `confirm` fails without reaching catalog.
    FailConfirm,
    /// `release` fails without reaching catalog.
    FailRelease,
}

/// Catalog's published ports, answered by the catalog service.
pub struct RemoteCatalog {
    client: ServiceClient,
    #[cfg(feature = "test-hooks")]
    fault: std::sync::Mutex<Option<Fault>>,
}

impl RemoteCatalog {
    /// The ports behind `client`.
    pub fn new(client: ServiceClient) -> Self {
        Self {
            client,
            #[cfg(feature = "test-hooks")]
            fault: std::sync::Mutex::new(None),
        }
    }

    /// The client (its breaker's state, for readiness and tests).
    pub fn client(&self) -> &ServiceClient {
        &self.client
    }

    /// Injects `fault` into the following calls (`None` heals).
    #[cfg(feature = "test-hooks")]
    pub fn inject(&self, fault: Option<Fault>) {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }

    #[cfg(feature = "test-hooks")]
    fn fault(&self) -> Option<Fault> {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn reservation(
        &self,
        id: Uuid,
        step: &str,
        body: &impl serde::Serialize,
    ) -> Result<(), InventoryError> {
        let (method, path) = match step {
            "" => (reqwest::Method::PUT, format!("{RESERVATIONS}/{id}")),
            step => (reqwest::Method::POST, format!("{RESERVATIONS}/{id}/{step}")),
        };
        let outcome: ReservationOutcome = self.client.call(method, &path, body).await?;
        match outcome.into_error(id) {
            None => Ok(()),
            Some(refusal) => Err(refusal),
        }
    }
}

#[async_trait]
impl ProductCatalog for RemoteCatalog {
    async fn snapshots(&self, ids: &[Uuid]) -> Result<Vec<ProductSnapshot>, PortError> {
        let mut snapshots = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let answer: Snapshots = self
                .client
                .call(
                    reqwest::Method::POST,
                    SNAPSHOTS,
                    &Ids {
                        ids: chunk.to_vec(),
                    },
                )
                .await?;
            for dto in answer.snapshots {
                snapshots.push(ProductSnapshot::try_from(dto).map_err(PortError::Unexpected)?);
            }
        }
        snapshots.sort_by_key(|s| s.id);
        snapshots.dedup_by_key(|s| s.id);
        Ok(snapshots)
    }
}

#[async_trait]
impl Inventory for RemoteCatalog {
    async fn reserve(
        &self,
        _tx: Option<&mut Tx>,
        reservation_id: Uuid,
        lines: &[ReservationLine],
    ) -> Result<Hold, InventoryError> {
        self.reservation(reservation_id, "", &ReserveRequest::new(lines))
            .await?;
        #[cfg(feature = "test-hooks")]
        match self.fault() {
            Some(Fault::FailAfterReserve) => {
                return Err(PortError::Unavailable("injected: answer lost".into()).into())
            }
            Some(Fault::HangAfterReserve) => std::future::pending::<()>().await,
            _ => {}
        }
        Ok(Hold::Pending)
    }

    async fn confirm(&self, reservation_id: Uuid) -> Result<(), InventoryError> {
        #[cfg(feature = "test-hooks")]
        if self.fault() == Some(Fault::FailConfirm) {
            return Err(PortError::Unavailable("injected: confirm lost".into()).into());
        }
        self.reservation(reservation_id, "confirm", &serde_json::json!({}))
            .await
    }

    async fn release(
        &self,
        _tx: Option<&mut Tx>,
        reservation_id: Uuid,
    ) -> Result<(), InventoryError> {
        #[cfg(feature = "test-hooks")]
        if self.fault() == Some(Fault::FailRelease) {
            return Err(PortError::Unavailable("injected: release lost".into()).into());
        }
        self.reservation(reservation_id, "release", &serde_json::json!({}))
            .await
    }

    fn joins_transactions(&self) -> bool {
        false
    }
}
