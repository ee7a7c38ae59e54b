//! The cart: lines of (product, quantity) per user, shown with the catalog's current names and
//! prices.

use std::collections::HashMap;

use agora_domain::{
    catalog::Money,
    identity::Principal,
    orders::{line_total, order_total, CartLine, Quantity},
    ports::ProductSnapshot,
    timestamp_now,
};
use uuid::Uuid;

use super::Orders;
use crate::AppError;

/// One cart line as shown: the product's current name and price, or `available: false` when the
/// product is gone or withdrawn (such a line blocks checkout until removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartItemView {
    /// The product.
    pub product_id: Uuid,
    /// Its current name (none when the product no longer exists).
    pub name: Option<String>,
    /// Its current price (none when the product no longer exists).
    pub unit_price: Option<Money>,
    /// Units.
    pub quantity: Quantity,
    /// `unit_price × quantity` (none when unavailable).
    pub line_total: Option<Money>,
    /// Whether it can be bought now.
    pub available: bool,
}

/// A cart as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartView {
    /// Lines, oldest first.
    pub items: Vec<CartItemView>,
    /// Sum of the available lines; none when nothing is available.
    pub total: Option<Money>,
}

impl Orders {
    /// The caller's cart with current names and prices.
    pub async fn cart(&self, caller: &Principal) -> Result<CartView, AppError> {
        let lines = self.deps.carts.lines(caller.user_id).await?;
        let products = self.snapshots(&lines).await?;
        view(&lines, &products)
    }

    /// Sets the quantity (1–99) of `product_id` in the caller's cart. An unknown or inactive
    /// product is 404; one priced in another currency than the cart's is 409.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, product_id = %product_id))]
    pub async fn put_item(
        &self,
        caller: &Principal,
        product_id: Uuid,
        quantity: i64,
    ) -> Result<CartView, AppError> {
        let quantity = Quantity::parse(quantity)?;
        let mut lines = self.deps.carts.lines(caller.user_id).await?;
        let mut ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
        ids.push(product_id);
        let products: HashMap<Uuid, ProductSnapshot> = self
            .deps
            .catalog
            .snapshots(&ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let product = products
            .get(&product_id)
            .filter(|p| p.active)
            .ok_or(AppError::NotFound)?;
        let other = lines
            .iter()
            .filter(|l| l.product_id != product_id)
            .filter_map(|l| products.get(&l.product_id))
            .find(|p| p.active && p.price.currency != product.price.currency);
        if let Some(other) = other {
            return Err(AppError::Conflict {
                code: "conflict",
                message: format!(
                    "The cart holds products priced in {}; {} is priced in {}",
                    other.price.currency,
                    product.name.as_str(),
                    product.price.currency
                ),
                details: vec![agora_domain::FieldError::new(
                    "productId",
                    format!("A cart holds one currency ({})", other.price.currency),
                )],
            });
        }
        let line = match lines.iter_mut().find(|l| l.product_id == product_id) {
            Some(existing) => {
                existing.quantity = quantity;
                *existing
            }
            None => {
                let line = CartLine {
                    product_id,
                    quantity,
                    added_at: timestamp_now(),
                };
                lines.push(line);
                line
            }
        };
        let mut tx = self.deps.uow.begin().await?;
        self.deps.carts.put(&mut tx, caller.user_id, &line).await?;
        tx.commit().await?;
        view(&lines, &products)
    }

    /// Removes `product_id` from the caller's cart (404 when it is not in it).
    pub async fn remove_item(
        &self,
        caller: &Principal,
        product_id: Uuid,
    ) -> Result<CartView, AppError> {
        let mut tx = self.deps.uow.begin().await?;
        if !self
            .deps
            .carts
            .remove(&mut tx, caller.user_id, product_id)
            .await?
        {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        self.cart(caller).await
    }

    pub(super) async fn snapshots(
        &self,
        lines: &[CartLine],
    ) -> Result<HashMap<Uuid, ProductSnapshot>, AppError> {
        let ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
        Ok(self
            .deps
            .catalog
            .snapshots(&ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect())
    }
}

/// The cart's currency: that of its oldest line whose product is for sale. A cart holds one
/// currency (`put_item` refuses another), but an admin may re-price a product in another
/// currency after it was put in carts: such a line is then shown unavailable rather than
/// making the whole cart impossible to show.
pub(super) fn cart_currency(
    lines: &[CartLine],
    products: &HashMap<Uuid, ProductSnapshot>,
) -> Option<agora_domain::catalog::Currency> {
    lines
        .iter()
        .filter_map(|l| products.get(&l.product_id))
        .find(|p| p.active)
        .map(|p| p.price.currency)
}

/// Whether `product` can be bought in a cart priced in `currency`.
pub(super) fn for_sale(
    product: Option<&ProductSnapshot>,
    currency: Option<agora_domain::catalog::Currency>,
) -> bool {
    product.is_some_and(|p| p.active && Some(p.price.currency) == currency)
}

fn view(
    lines: &[CartLine],
    products: &HashMap<Uuid, ProductSnapshot>,
) -> Result<CartView, AppError> {
    let currency = cart_currency(lines, products);
    let mut items = Vec::with_capacity(lines.len());
    for line in lines {
        let product = products.get(&line.product_id);
        let available = for_sale(product, currency);
        let line_total = match product.filter(|_| available) {
            Some(p) => Some(line_total(p.price, line.quantity).map_err(total_error)?),
            None => None,
        };
        items.push(CartItemView {
            product_id: line.product_id,
            name: product.map(|p| p.name.as_str().to_owned()),
            unit_price: product.map(|p| p.price),
            quantity: line.quantity,
            line_total,
            available,
        });
    }
    let totals: Vec<Money> = items.iter().filter_map(|i| i.line_total).collect();
    let total = if totals.is_empty() {
        None
    } else {
        Some(order_total(&totals).map_err(total_error)?)
    };
    Ok(CartView { items, total })
}

/// A total that cannot be formed (amounts beyond range; lines in two currencies cannot reach
/// a total, see [`cart_currency`]).
pub(super) fn total_error(error: agora_domain::orders::TotalError) -> AppError {
    AppError::Conflict {
        code: "conflict",
        message: format!("The cart cannot be totalled ({error})"),
        details: Vec::new(),
    }
}
