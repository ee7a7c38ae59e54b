//! The wire format of the internal service API (ADR 0030): what a split target's HTTP client
//! adapters send to `/internal/…` on catalog and identity, and what those answer. Written once
//! here so both ends agree; each type converts to and from the published port's values.
//!
//! Domain refusals (out of stock, not held) are answers (`200` with an `outcome`), not transport
//! errors, so a client never confuses them with a failing service.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    catalog::{Money, ProductName, Sku},
    identity::{PersonName, Role},
    ports::{
        catalog::ProductSnapshot, identity::UserProfile, InventoryError, ReservationLine, Shortage,
    },
};

/// `POST /internal/catalog/snapshots`, `POST /internal/identity/profiles`.
pub const SNAPSHOTS: &str = "/internal/catalog/snapshots";
/// `POST` (identity's directory).
pub const PROFILES: &str = "/internal/identity/profiles";
/// `PUT /internal/catalog/reservations/{id}` reserves; `…/{id}/confirm`, `…/{id}/release`.
pub const RESERVATIONS: &str = "/internal/catalog/reservations";

/// A batch of ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ids {
    /// The ids asked for.
    pub ids: Vec<Uuid>,
}

/// A product snapshot on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotDto {
    /// Id.
    pub id: Uuid,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Price.
    pub price: Money,
    /// Units in stock.
    pub stock: u32,
    /// On sale.
    pub active: bool,
}

impl From<&ProductSnapshot> for SnapshotDto {
    fn from(s: &ProductSnapshot) -> Self {
        Self {
            id: s.id,
            sku: s.sku.as_str().to_owned(),
            name: s.name.as_str().to_owned(),
            price: s.price,
            stock: s.stock,
            active: s.active,
        }
    }
}

impl TryFrom<SnapshotDto> for ProductSnapshot {
    type Error = String;
    fn try_from(dto: SnapshotDto) -> Result<Self, String> {
        Ok(Self {
            id: dto.id,
            sku: Sku::parse(&dto.sku).map_err(|e| e.message)?,
            name: ProductName::parse(&dto.name).map_err(|e| e.message)?,
            price: dto.price,
            stock: dto.stock,
            active: dto.active,
        })
    }
}

/// Catalog's answer to a snapshot batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshots {
    /// The known products among the ids.
    pub snapshots: Vec<SnapshotDto>,
}

/// A user profile on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileDto {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// `user` or `admin`.
    pub role: String,
}

impl From<&UserProfile> for ProfileDto {
    fn from(p: &UserProfile) -> Self {
        Self {
            id: p.id,
            name: p.name.as_str().to_owned(),
            role: p.role.as_str().to_owned(),
        }
    }
}

impl TryFrom<ProfileDto> for UserProfile {
    type Error = String;
    fn try_from(dto: ProfileDto) -> Result<Self, String> {
        Ok(Self {
            id: dto.id,
            name: PersonName::parse(&dto.name).map_err(|e| e.message)?,
            role: dto.role.parse::<Role>().map_err(|e| e.to_string())?,
        })
    }
}

/// Identity's answer to a profile batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profiles {
    /// The known users among the ids.
    pub profiles: Vec<ProfileDto>,
}

/// One line of a reservation on the wire.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineDto {
    /// Product.
    pub product_id: Uuid,
    /// Units.
    pub quantity: u32,
}

/// `PUT /internal/catalog/reservations/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReserveRequest {
    /// What to take.
    pub lines: Vec<LineDto>,
}

impl ReserveRequest {
    /// The request for `lines`.
    pub fn new(lines: &[ReservationLine]) -> Self {
        Self {
            lines: lines
                .iter()
                .map(|l| LineDto {
                    product_id: l.product_id,
                    quantity: l.quantity,
                })
                .collect(),
        }
    }

    /// The port's lines.
    pub fn lines(&self) -> Vec<ReservationLine> {
        self.lines
            .iter()
            .map(|l| ReservationLine {
                product_id: l.product_id,
                quantity: l.quantity,
            })
            .collect()
    }
}

/// A shortage on the wire.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShortageDto {
    /// Product.
    pub product_id: Uuid,
    /// Asked.
    pub requested: u32,
    /// In stock.
    pub available: u32,
}

/// What a reservation call did.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReservationOutcome {
    /// Reserved (pending until confirmed), or already held under this id.
    Reserved,
    /// Final now (or was already).
    Confirmed,
    /// Units given back (or nothing was held).
    Released,
    /// Some products lack units; nothing reserved.
    OutOfStock {
        /// Each short line.
        shortages: Vec<ShortageDto>,
    },
    /// Some products are unknown or withdrawn; nothing reserved.
    NotForSale {
        /// Those products.
        #[serde(rename = "productIds")]
        product_ids: Vec<Uuid>,
    },
    /// Nothing to confirm: expired or released.
    NotHeld,
}

impl ReservationOutcome {
    /// The refusal for `error`, or `None` when it is a failure of the service itself.
    pub fn refusal(error: &InventoryError) -> Option<Self> {
        match error {
            InventoryError::OutOfStock(shortages) => Some(Self::OutOfStock {
                shortages: shortages
                    .iter()
                    .map(|s| ShortageDto {
                        product_id: s.product_id,
                        requested: s.requested,
                        available: s.available,
                    })
                    .collect(),
            }),
            InventoryError::NotForSale(ids) => Some(Self::NotForSale {
                product_ids: ids.clone(),
            }),
            InventoryError::NotHeld(_) => Some(Self::NotHeld),
            InventoryError::Port(_) => None,
        }
    }

    /// The port's error for a refusal (`reservation_id` names a `NotHeld`); `None` for success.
    pub fn into_error(self, reservation_id: Uuid) -> Option<InventoryError> {
        match self {
            Self::Reserved | Self::Confirmed | Self::Released => None,
            Self::OutOfStock { shortages } => Some(InventoryError::OutOfStock(
                shortages
                    .into_iter()
                    .map(|s| Shortage {
                        product_id: s.product_id,
                        requested: s.requested,
                        available: s.available,
                    })
                    .collect(),
            )),
            Self::NotForSale { product_ids } => Some(InventoryError::NotForSale(product_ids)),
            Self::NotHeld => Some(InventoryError::NotHeld(reservation_id)),
        }
    }
}
