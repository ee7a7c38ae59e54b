//! Paying an order through the [`PaymentProvider`] port. The attempt is recorded (with the key
//! the provider de-duplicates on) BEFORE the provider is called and outside any transaction; the
//! status is written after. A crash between capture and that write leaves the attempt `started`:
//! the next try resumes it with the same key, and the provider answers the first outcome again
//! instead of charging twice. ADR 0016.

use agora_domain::{
    identity::Principal,
    orders::{Order, OrderStatus},
    ports::{PaymentAttempt, PaymentError, PaymentStatus},
    timestamp_now,
};
use uuid::Uuid;

use super::{illegal, require_verified, Orders};
use crate::{AppError, OnConstraint};

/// The unique index on `payments.key` (orders' migration 0001).
const PAYMENT_KEY: &str = "payments_key_key";

impl Orders {
    /// Pays the caller's own pending order (authorize + capture); 402 when declined, and the
    /// order stays `pending`.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, order_id = %id))]
    pub async fn pay(&self, caller: &Principal, id: Uuid) -> Result<Order, AppError> {
        require_verified(caller)?;
        let order = self.own(caller, id).await?;
        self.pay_order(order, caller.user_id).await
    }

    pub(super) async fn pay_order(&self, order: Order, actor: Uuid) -> Result<Order, AppError> {
        order
            .status
            .transition(OrderStatus::Paid)
            .map_err(illegal)?;
        let attempts = self.deps.payments.of_order(order.id).await?;
        // An attempt left `started` (or captured without the order following) crashed midway:
        // resume it with its key.
        let resumable = attempts
            .iter()
            .rev()
            .find(|a| matches!(a.status, PaymentStatus::Started | PaymentStatus::Captured));
        let attempt = match resumable {
            Some(attempt) => attempt.clone(),
            None => {
                let attempt = PaymentAttempt {
                    id: Uuid::now_v7(),
                    order_id: order.id,
                    key: format!("{}-{}", order.id, attempts.len() + 1),
                    amount: order.total,
                    status: PaymentStatus::Started,
                    provider_ref: None,
                    created_at: timestamp_now(),
                };
                let mut tx = self.deps.uow.begin().await?;
                self.deps
                    .payments
                    .insert(&mut tx, &attempt)
                    .await
                    .on_constraint(PAYMENT_KEY, payment_in_progress)?;
                tx.commit().await?;
                attempt
            }
        };
        let provider = &self.deps.provider;
        let outcome = match provider.authorize(&attempt.key, attempt.amount).await {
            Ok(reference) => provider
                .capture(&attempt.key, &reference)
                .await
                .map(|()| reference),
            Err(error) => Err(error),
        };
        let mut tx = self.deps.uow.begin().await?;
        match outcome {
            Ok(reference) => {
                self.deps
                    .payments
                    .set_status(
                        &mut tx,
                        attempt.id,
                        PaymentStatus::Captured,
                        Some(&reference),
                    )
                    .await?;
                let paid = self.apply(&mut tx, order, OrderStatus::Paid, actor).await?;
                tx.commit().await?;
                Ok(paid)
            }
            Err(PaymentError::Declined(reason)) => {
                tracing::info!(%reason, order_id = %order.id, "payment declined");
                self.deps
                    .payments
                    .set_status(&mut tx, attempt.id, PaymentStatus::Declined, None)
                    .await?;
                tx.commit().await?;
                Err(AppError::PaymentDeclined)
            }
            // The attempt stays `started`: a retry resumes it with the same key.
            Err(PaymentError::Unavailable(reason)) => Err(AppError::Unavailable(reason)),
        }
    }

    /// Before a pending order is cancelled: an attempt left `started` by a crash may have taken
    /// the money. The port cannot ask the provider what became of it, but repeating the attempt
    /// with its key answers the first outcome (or makes it now), so the attempt is finished
    /// first — the order becomes `paid` — and the cancel then refunds it like any paid order's.
    /// Declined: nothing was taken, the order stays as it was. ADR 0016.
    pub(super) async fn settle_unfinished(
        &self,
        order: Order,
        actor: Uuid,
    ) -> Result<Order, AppError> {
        if order.status != OrderStatus::Pending {
            return Ok(order);
        }
        let attempts = self.deps.payments.of_order(order.id).await?;
        if !attempts
            .iter()
            .any(|a| matches!(a.status, PaymentStatus::Started | PaymentStatus::Captured))
        {
            return Ok(order);
        }
        tracing::warn!(order_id = %order.id, "finishing an interrupted payment before cancelling");
        match self.pay_order(order.clone(), actor).await {
            Ok(paid) => Ok(paid),
            Err(AppError::PaymentDeclined) => Ok(order),
            Err(error) => Err(error),
        }
    }

    /// Gives the captured payment of `order` back through the provider (outside any
    /// transaction; the refund key is derived from the attempt's, so a retry never refunds
    /// twice). Returns the attempt to mark `refunded`, if there was a captured one.
    pub(super) async fn refund(&self, order: &Order) -> Result<Option<Uuid>, AppError> {
        let attempts = self.deps.payments.of_order(order.id).await?;
        let Some(captured) = attempts
            .iter()
            .rev()
            .find(|a| a.status == PaymentStatus::Captured)
        else {
            return Ok(None);
        };
        let reference = captured.provider_ref.as_deref().unwrap_or_default();
        match self
            .deps
            .provider
            .refund(
                &format!("{}-refund", captured.key),
                reference,
                captured.amount,
            )
            .await
        {
            Ok(()) => Ok(Some(captured.id)),
            Err(PaymentError::Declined(reason)) => Err(AppError::Conflict {
                code: "conflict",
                message: format!("The payment provider refused the refund: {reason}"),
                details: Vec::new(),
            }),
            Err(PaymentError::Unavailable(reason)) => Err(AppError::Unavailable(reason)),
        }
    }
}

fn payment_in_progress() -> AppError {
    AppError::Conflict {
        code: "conflict",
        message: "A payment of this order is in progress; retry later".into(),
        details: Vec::new(),
    }
}
