//! The orders bounded context: carts, orders and their state machine, the values checkout
//! works with (quantities, idempotency keys, totals) and the events orders publish.

mod cart;
mod events;
mod order;
mod status;

pub use cart::{line_total, order_total, CartLine, Quantity, TotalError, MAX_QUANTITY};
pub use events::{OrderEvent, PlacedItem};
pub use order::{IdempotencyKey, Order, OrderItem, StatusChange, MAX_IDEMPOTENCY_KEY};
pub use status::{IllegalTransition, OrderStatus};
