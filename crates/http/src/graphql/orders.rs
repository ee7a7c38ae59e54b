//! Orders' part of the schema: the cart and the caller's orders, over the orders use cases.

use agora_app::orders::CartView;
use agora_domain::{
    orders::{Order as DomainOrder, OrderItem as DomainItem},
    service_api::SnapshotDto,
};
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    catalog::Money,
    failure, list_complexity,
    loaders::{load_error, Products},
    page_request, parse_id, require_caller, scope, service, services, GqlResult, Loader, PageMeta,
};

/// What catalog says about a product now (also for products no longer for sale).
#[derive(SimpleObject)]
pub struct ProductSummary {
    id: ID,
    sku: String,
    name: String,
    price: Money,
    stock: u32,
    active: bool,
}

impl From<SnapshotDto> for ProductSummary {
    fn from(p: SnapshotDto) -> Self {
        Self {
            id: ID(p.id.to_string()),
            sku: p.sku,
            name: p.name,
            price: p.price.into(),
            stock: p.stock,
            active: p.active,
        }
    }
}

/// One line of an order, as bought.
pub struct OrderItem(DomainItem);

#[Object]
impl OrderItem {
    async fn product_id(&self) -> ID {
        ID(self.0.product_id.to_string())
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn unit_price(&self) -> Money {
        self.0.unit_price.into()
    }
    async fn quantity(&self) -> u32 {
        self.0.quantity.get()
    }
    async fn line_total(&self) -> Money {
        self.0.line_total.into()
    }
    /// The product today; resolved per query level in one batch (DataLoader).
    async fn product(&self, ctx: &Context<'_>) -> GqlResult<Option<ProductSummary>> {
        let found = ctx
            .data_unchecked::<Loader<Products>>()
            .load_one(self.0.product_id)
            .await
            .map_err(load_error)?;
        Ok(found.map(ProductSummary::from))
    }
}

/// An order.
pub struct Order(DomainOrder);

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }
    /// `pending`, `paid`, `shipped`, `delivered`, `cancelled`, `refunded`.
    async fn status(&self) -> &str {
        self.0.status.as_str()
    }
    async fn items(&self) -> Vec<OrderItem> {
        self.0.items.iter().cloned().map(OrderItem).collect()
    }
    async fn total(&self) -> Money {
        self.0.total.into()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A page of orders.
pub struct OrderPage {
    items: Vec<DomainOrder>,
    meta: PageMeta,
}

#[Object]
impl OrderPage {
    async fn items(&self) -> Vec<Order> {
        self.items.iter().cloned().map(Order).collect()
    }
    async fn meta(&self) -> &PageMeta {
        &self.meta
    }
}

/// One line of the cart, priced now.
#[derive(SimpleObject, Debug, Clone, Serialize, Deserialize)]
pub struct CartItem {
    product_id: ID,
    name: Option<String>,
    unit_price: Option<Money>,
    quantity: u32,
    line_total: Option<Money>,
    available: bool,
}

/// The caller's cart.
#[derive(SimpleObject, Debug, Clone, Serialize, Deserialize)]
pub struct Cart {
    items: Vec<CartItem>,
    total: Option<Money>,
}

impl From<CartView> for Cart {
    fn from(cart: CartView) -> Self {
        Self {
            items: cart
                .items
                .into_iter()
                .map(|i| CartItem {
                    product_id: ID(i.product_id.to_string()),
                    name: i.name,
                    unit_price: i.unit_price.map(Money::from),
                    quantity: i.quantity.get(),
                    line_total: i.line_total.map(Money::from),
                    available: i.available,
                })
                .collect(),
            total: cart.total.map(Money::from),
        }
    }
}

/// Orders' queries.
#[derive(Default)]
pub struct OrdersQuery;

#[Object]
impl OrdersQuery {
    /// The caller's cart.
    async fn cart(&self, ctx: &Context<'_>) -> GqlResult<Cart> {
        let orders = service(&services(ctx).orders, "orders")?;
        require_caller(ctx)?;
        orders.cart(scope(ctx)).await.map_err(failure)
    }

    /// One order: the caller's own, or any for an admin.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Order> {
        let orders = service(&services(ctx).orders, "orders")?;
        require_caller(ctx)?;
        let order = orders
            .order(scope(ctx), parse_id(&id)?)
            .await
            .map_err(failure)?;
        Ok(Order(order))
    }

    /// The caller's orders, newest first.
    #[graphql(complexity = "list_complexity(child_complexity, limit)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        page: Option<i32>,
        limit: Option<i32>,
    ) -> GqlResult<OrderPage> {
        let orders = service(&services(ctx).orders, "orders")?;
        let request = page_request(page, limit)?;
        require_caller(ctx)?;
        let page = orders
            .orders(scope(ctx), request.page, request.limit)
            .await
            .map_err(failure)?;
        Ok(OrderPage {
            meta: PageMeta::new(page.total, request),
            items: page.items,
        })
    }
}

/// `setCartItem(input: …)`.
#[derive(InputObject)]
pub struct SetCartItemInput {
    product_id: ID,
    /// 1–99.
    quantity: i64,
}

/// `placeOrder(input: …)`.
#[derive(InputObject)]
pub struct PlaceOrderInput {
    /// As REST's `Idempotency-Key`: the same key places one order only.
    idempotency_key: String,
    note: Option<String>,
}

/// Orders' mutations.
#[derive(Default)]
pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Puts `quantity` units of a product in the caller's cart.
    async fn set_cart_item(&self, ctx: &Context<'_>, input: SetCartItemInput) -> GqlResult<Cart> {
        let orders = service(&services(ctx).orders, "orders")?;
        require_caller(ctx)?;
        orders
            .set_cart_item(scope(ctx), parse_id(&input.product_id)?, input.quantity)
            .await
            .map_err(failure)
    }

    /// Checks the cart out (needs a verified email); the same key replays the same order.
    async fn place_order(&self, ctx: &Context<'_>, input: PlaceOrderInput) -> GqlResult<Order> {
        let orders = service(&services(ctx).orders, "orders")?;
        require_caller(ctx)?;
        let order = orders
            .place_order(scope(ctx), input.idempotency_key, input.note)
            .await
            .map_err(failure)?;
        Ok(Order(order))
    }
}
