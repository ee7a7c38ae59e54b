//! `Idempotency-Key` for checkout (IETF httpapi idempotency-key draft): the (user, key) row is
//! claimed in a short committed transaction before any work — its unique constraint is the lock —
//! and holds the final answer once the order exists. ADR 0016.

use agora_domain::{orders::IdempotencyKey, ports::IdempotencyState};
use chrono::Utc;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Orders;
use crate::{identity::chrono_duration, AppError};

/// What a checkout request does after claiming its key.
#[derive(Debug)]
pub(super) enum Claim {
    /// Run the checkout; `order_id` is the order a crashed earlier holder placed already.
    Run {
        /// Resume this order instead of placing another.
        order_id: Option<Uuid>,
    },
    /// Answer with the stored response.
    Replay {
        /// Original status.
        status: u16,
        /// Original body.
        body: Vec<u8>,
    },
}

/// The fingerprint of a checkout request: SHA-256 of its body (method and path are fixed).
pub(super) fn fingerprint(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn in_flight() -> AppError {
    AppError::Conflict {
        code: "conflict",
        message: "A request with this Idempotency-Key is still being processed; retry later".into(),
        details: Vec::new(),
    }
}

impl Orders {
    pub(super) async fn claim(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Claim, AppError> {
        let store = &self.deps.idempotency;
        // Twice at most: once more after forgetting an expired key the purge has not reached.
        for _ in 0..2 {
            let now = Utc::now();
            let lease = now + chrono_duration(self.settings.idempotency_lease);
            let expires = now + chrono_duration(self.settings.idempotency_ttl);
            let Some(existing) = store
                .claim(user_id, key, fingerprint, lease, expires)
                .await?
            else {
                return Ok(Claim::Run { order_id: None });
            };
            if existing.expires_at <= now {
                store.forget(user_id, key).await?;
                continue;
            }
            if existing.fingerprint != fingerprint {
                return Err(AppError::IdempotencyMismatch);
            }
            return match existing.state {
                IdempotencyState::Done { status, body } => Ok(Claim::Replay { status, body }),
                IdempotencyState::InFlight { locked_until, .. } if locked_until > now => {
                    Err(in_flight())
                }
                IdempotencyState::InFlight {
                    locked_until,
                    order_id,
                } => {
                    // The holder's lease ran out: it crashed. One retry takes over and finishes.
                    if store.take_over(user_id, key, locked_until, lease).await? {
                        tracing::warn!(%user_id, ?order_id, "resuming a checkout whose holder crashed");
                        Ok(Claim::Run { order_id })
                    } else {
                        Err(in_flight())
                    }
                }
            };
        }
        Err(in_flight())
    }

    /// Lets go of a key whose request failed before placing an order, so a retry runs afresh.
    /// A failure here is logged: the key then stays in flight until its lease ends.
    pub(super) async fn release_key(&self, user_id: Uuid, key: &IdempotencyKey) {
        if let Err(error) = self.deps.idempotency.forget(user_id, key).await {
            tracing::warn!(%error, "could not release an idempotency key; it frees at lease end");
        }
    }
}
