//! Checkout: the one `PlaceOrder` path. Cart and product snapshots are read first (no connection
//! held while waiting for another), then ONE transaction reserves stock through catalog's
//! [`Inventory`], writes the order with name/price snapshots, empties the cart, records
//! `order.placed` and the idempotency key's outcome. With `new-checkout-flow` on for the buyer the
//! order is then paid in the same request. ADR 0016.

use agora_domain::{
    flags::Subject,
    identity::Principal,
    orders::{
        line_total, order_total, IdempotencyKey, Order, OrderEvent, OrderItem, OrderStatus,
        PlacedItem, StatusChange,
    },
    ports::{Hold, InventoryError, ReservationLine, Tx},
    timestamp_now, FieldError,
};
use uuid::Uuid;

use super::{
    cart::{cart_currency, for_sale, total_error},
    idempotency::{fingerprint, Claim},
    require_verified, Orders,
};
use crate::AppError;

/// The canary flag deciding the one-step checkout.
pub const NEW_CHECKOUT_FLOW: &str = "new-checkout-flow";

/// The longest note a buyer may add.
const MAX_NOTE: usize = 500;

/// Renders an order as the answer's body; the bytes are stored and replayed as they are, so a
/// replay is byte-identical to the original answer.
pub type Render = dyn Fn(&Order) -> Vec<u8> + Send + Sync;

/// A checkout request.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// The client's key.
    pub key: IdempotencyKey,
    /// The raw request body (fingerprinted: the same key with another body is refused).
    pub body: Vec<u8>,
    /// The buyer's note, parsed from the body.
    pub note: Option<String>,
}

/// The answer to a checkout: the original one, or its replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutResponse {
    /// HTTP status (201).
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
    /// True when this is a stored answer replayed.
    pub replayed: bool,
}

/// The status of a placed order's answer.
const CREATED: u16 = 201;

impl Orders {
    /// Places an order from the caller's cart, at most once per `Idempotency-Key`.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, order_id = tracing::field::Empty))]
    pub async fn checkout(
        &self,
        caller: &Principal,
        request: CheckoutRequest,
        render: &Render,
    ) -> Result<CheckoutResponse, AppError> {
        require_verified(caller)?;
        if let Some(note) = &request.note {
            if note.chars().count() > MAX_NOTE {
                return Err(FieldError::new("note", "Note must be at most 500 characters").into());
            }
        }
        let key = &request.key;
        let user = caller.user_id;
        let one_step = self
            .deps
            .flags
            .is_enabled(NEW_CHECKOUT_FLOW, &Subject::from(caller))
            .await;
        let order = match self.claim(user, key, &fingerprint(&request.body)).await? {
            Claim::Replay { status, body } => {
                return Ok(CheckoutResponse {
                    status,
                    body,
                    replayed: true,
                })
            }
            Claim::Run { order_id: Some(id) } => {
                self.deps.orders.get(id).await?.ok_or_else(|| {
                    AppError::Unexpected(anyhow::anyhow!(
                        "idempotency key names missing order {id}"
                    ))
                })?
            }
            Claim::Run { order_id: None } => {
                // Two-step: the answer is final when the order commits, so it is stored in the
                // same transaction. One-step: it is final only after payment.
                let complete = (!one_step).then_some(render);
                match self.place_order(caller, key, request.note, complete).await {
                    Ok(order) if !one_step => {
                        return Ok(CheckoutResponse {
                            status: CREATED,
                            body: render(&order),
                            replayed: false,
                        })
                    }
                    Ok(order) => order,
                    Err(error) => {
                        self.release_key(user, key).await;
                        return Err(error);
                    }
                }
            }
        };
        tracing::Span::current().record("order_id", tracing::field::display(order.id));
        let order = if one_step && order.status == OrderStatus::Pending {
            // A decline or an unreachable provider leaves the order pending: it was placed, and
            // the buyer can pay it later (POST /api/orders/{id}/pay).
            match self.pay_order(order.clone(), user).await {
                Ok(paid) => paid,
                Err(error) => {
                    tracing::info!(%error, "one-step checkout: payment did not go through");
                    order
                }
            }
        } else {
            order
        };
        let body = render(&order);
        let mut tx = self.deps.uow.begin().await?;
        self.deps
            .idempotency
            .complete(&mut tx, user, key, CREATED, &body)
            .await?;
        tx.commit().await?;
        Ok(CheckoutResponse {
            status: CREATED,
            body,
            replayed: false,
        })
    }

    /// PlaceOrder: the cart becomes an order, all or nothing. When `complete` is given the key's
    /// answer is stored with the order.
    async fn place_order(
        &self,
        caller: &Principal,
        key: &IdempotencyKey,
        note: Option<String>,
        complete: Option<&Render>,
    ) -> Result<Order, AppError> {
        let user = caller.user_id;
        let lines = self.deps.carts.lines(user).await?;
        if lines.is_empty() {
            // A valid request in the wrong state: 409, like any other conflict with the cart.
            return Err(AppError::Conflict {
                code: "conflict",
                message: "The cart is empty; add products before checking out".into(),
                details: Vec::new(),
            });
        }
        let products = self.snapshots(&lines).await?;
        let currency = cart_currency(&lines, &products);
        let unavailable: Vec<FieldError> = lines
            .iter()
            .filter(|l| !for_sale(products.get(&l.product_id), currency))
            .map(|l| {
                let message = match products.get(&l.product_id) {
                    None => "A product that no longer exists is no longer available".to_owned(),
                    Some(p) if !p.active => format!("{} is no longer available", p.name.as_str()),
                    Some(p) => format!(
                        "{} is now priced in {}, the cart in {}",
                        p.name.as_str(),
                        p.price.currency,
                        currency.map_or_else(String::new, |c| c.to_string())
                    ),
                };
                FieldError::new(l.product_id.to_string(), message)
            })
            .collect();
        if !unavailable.is_empty() {
            return Err(not_for_sale(unavailable));
        }
        let mut items = Vec::with_capacity(lines.len());
        for line in &lines {
            let product = &products[&line.product_id];
            items.push(OrderItem {
                product_id: product.id,
                sku: product.sku.as_str().to_owned(),
                name: product.name.as_str().to_owned(),
                unit_price: product.price,
                quantity: line.quantity,
                line_total: line_total(product.price, line.quantity).map_err(total_error)?,
            });
        }
        let totals: Vec<_> = items.iter().map(|i| i.line_total).collect();
        let now = timestamp_now();
        let order = Order {
            id: Uuid::now_v7(),
            user_id: user,
            status: OrderStatus::Pending,
            total: order_total(&totals).map_err(total_error)?,
            items,
            reservation_id: Uuid::now_v7(),
            note,
            created_at: now,
            updated_at: now,
            history: vec![StatusChange {
                from: None,
                to: OrderStatus::Pending,
                at: now,
                actor: user,
            }],
        };
        // Sorted by product, so concurrent checkouts lock products in one order (no deadlock).
        let mut reservation: Vec<ReservationLine> = lines
            .iter()
            .map(|l| ReservationLine {
                product_id: l.product_id,
                quantity: l.quantity.get(),
            })
            .collect();
        reservation.sort_by_key(|l| l.product_id);

        let mut tx = self.deps.uow.begin().await?;
        let hold = match self
            .deps
            .inventory
            .reserve(Some(&mut tx), order.reservation_id, &reservation)
            .await
        {
            Ok(hold) => hold,
            Err(InventoryError::Port(error)) => {
                // Catalog may have committed before the answer was lost (a timeout): release
                // the id, so stock does not wait for the reservation to expire. A no-op when
                // nothing was reserved.
                drop(tx);
                self.compensate(order.reservation_id).await;
                return Err(error.into());
            }
            Err(error) => return Err(inventory_error(error)),
        };
        let mut written = self
            .write_order(&mut tx, key, &order, &lines, complete)
            .await;
        if written.is_ok() && hold == Hold::Pending {
            written = self
                .deps
                .orders
                .await_confirmation(&mut tx, order.id, order.reservation_id)
                .await
                .map_err(AppError::from);
        }
        let committed = match written {
            Ok(()) => tx.commit().await.map_err(AppError::from),
            Err(error) => {
                drop(tx);
                Err(error)
            }
        };
        if let Err(error) = committed {
            // In the monolith the rollback undid the reservation and this is a no-op; an
            // Inventory across processes committed on its own and needs this compensation.
            self.compensate(order.reservation_id).await;
            return Err(error);
        }
        if hold == Hold::Pending {
            // The order is committed: from here a failure must not undo it. What is not
            // confirmed now, the recovery task confirms (before the reservation expires).
            self.confirm_reservation(order.id, order.reservation_id)
                .await;
        }
        Ok(order)
    }

    async fn write_order(
        &self,
        tx: &mut Tx,
        key: &IdempotencyKey,
        order: &Order,
        lines: &[agora_domain::orders::CartLine],
        complete: Option<&Render>,
    ) -> Result<(), AppError> {
        self.deps.orders.insert(tx, order).await?;
        let removed = self
            .deps
            .carts
            .remove_lines(tx, order.user_id, lines)
            .await?;
        if removed != lines.len() as u64 {
            return Err(AppError::Conflict {
                code: "conflict",
                message: "The cart changed during checkout; review it and retry".into(),
                details: Vec::new(),
            });
        }
        self.emit(
            tx,
            OrderEvent::OrderPlaced {
                order_id: order.id,
                user_id: order.user_id,
                total: order.total,
                items: order
                    .items
                    .iter()
                    .map(|i| PlacedItem {
                        product_id: i.product_id,
                        name: i.name.clone(),
                        quantity: i.quantity.get(),
                    })
                    .collect(),
            },
        )
        .await?;
        let idempotency = &self.deps.idempotency;
        idempotency
            .attach_order(tx, order.user_id, key, order.id)
            .await?;
        if let Some(render) = complete {
            idempotency
                .complete(tx, order.user_id, key, CREATED, &render(order))
                .await?;
        }
        Ok(())
    }
}

fn not_for_sale(details: Vec<FieldError>) -> AppError {
    AppError::Conflict {
        code: "conflict",
        message: "Some products in the cart are no longer available; remove them to check out"
            .into(),
        details,
    }
}

/// Catalog's refusal as the buyer should read it: 409 `out_of_stock` naming each short product.
fn inventory_error(error: InventoryError) -> AppError {
    match error {
        InventoryError::OutOfStock(shortages) => AppError::Conflict {
            code: "out_of_stock",
            message: "Out of stock".into(),
            details: shortages
                .iter()
                .map(|s| {
                    FieldError::new(
                        s.product_id.to_string(),
                        format!("Only {} in stock, {} requested", s.available, s.requested),
                    )
                })
                .collect(),
        },
        InventoryError::NotForSale(ids) => not_for_sale(
            ids.iter()
                .map(|id| FieldError::new(id.to_string(), "Product is no longer available"))
                .collect(),
        ),
        InventoryError::Port(error) => error.into(),
        InventoryError::NotHeld(id) => {
            AppError::Unexpected(anyhow::anyhow!("reserve answered `not held` for {id}"))
        }
    }
}
