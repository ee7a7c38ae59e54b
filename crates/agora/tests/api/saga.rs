//! The checkout saga across services (ADR 0031): identity, catalog and orders each run as a
//! target of their own on their own database, orders reaching catalog's ports over signed HTTP.
//! A failure after the reservation, a crash of orders mid-saga, a lost confirm, retries of every
//! reservation call and a catalog that is down all leave stock exactly where it must be.

use std::{sync::Arc, time::Duration};

use agora::config::{Config, Secret};
use agora_adapters::remote::{Fault, RemoteCatalog};
use agora_domain::{
    identity::Role,
    ports::{Hold, Inventory, InventoryError, ReservationLine},
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    support::{Backend, TestStore},
    targets::{assert_error, start, Service},
};

pub(crate) const SECRET: &str = "a-secret-every-service-shares";

/// Polls an async condition until it holds (or fails the test after `deadline`).
pub(crate) async fn until<F, Fut>(deadline: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = std::time::Instant::now() + deadline;
    while !condition().await {
        assert!(
            std::time::Instant::now() < until,
            "{what}: not within {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await; // poll: the condition
    }
}

pub(crate) fn signed(config: &mut Config) {
    config.services.secret = Some(Secret::new(SECRET.to_owned()));
    // Fail fast in tests: one retry, short timeouts.
    config.services.attempts = 2;
    config.services.timeout = Duration::from_millis(500);
}

/// Identity, catalog and orders, each alone on its own database.
pub(crate) struct Split {
    pub identity: Service,
    pub catalog: Service,
    pub orders: Option<Service>,
    stores: [TestStore; 3],
}

impl Split {
    pub(crate) async fn start(backend: Backend) -> Self {
        let stores = [
            TestStore::create(backend).await,
            TestStore::create(backend).await,
            TestStore::create(backend).await,
        ];
        let identity = start("identity", &stores[0], signed).await;
        let identity_url = identity.url("");
        let catalog = start("catalog", &stores[1], |c| {
            signed(c);
            c.identity_url = Some(identity_url.clone());
            c.set_section(
                "catalog",
                json!({"reservation_ttl": "1s", "reservation_sweep_interval": "100ms"}),
            );
        })
        .await;
        let mut split = Self {
            identity,
            catalog,
            orders: None,
            stores,
        };
        split.orders = Some(split.start_orders().await);
        split
    }

    pub(crate) async fn start_orders(&self) -> Service {
        self.start_orders_at(self.catalog.url("")).await
    }

    /// Another orders replica on the same database, reaching catalog at `catalog_url`.
    pub(crate) async fn start_orders_at(&self, catalog_url: String) -> Service {
        self.start_orders_with(catalog_url, |_| {}).await
    }

    /// Another orders replica as [`Split::start_orders_at`], its configuration then adjusted.
    pub(crate) async fn start_orders_with(
        &self,
        catalog_url: String,
        adjust: impl FnOnce(&mut Config),
    ) -> Service {
        let identity_url = self.identity.url("");
        start("orders", &self.stores[2], |c| {
            signed(c);
            c.identity_url = Some(identity_url);
            c.catalog_url = Some(catalog_url);
            c.set_section("orders", json!({"recovery_interval": "100ms"}));
            adjust(c);
        })
        .await
    }

    pub(crate) fn orders(&self) -> &Service {
        self.orders.as_ref().expect("orders runs")
    }

    pub(crate) fn remote(&self) -> Arc<RemoteCatalog> {
        self.orders()
            .registry
            .get()
            .expect("orders uses a remote catalog")
    }

    pub(crate) async fn product(&self, admin: &str, stock: u32) -> String {
        let sku = format!("S-{}", &Uuid::new_v4().simple().to_string()[..12]).to_uppercase();
        let body = json!({"sku": sku, "name": "Saga Lamp", "description": "",
            "price": {"amount": 1250, "currency": "EUR"}, "stock": stock});
        let response = self.catalog.post("/api/products", Some(admin), &body).await;
        assert_eq!(response.status(), 201);
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) async fn stock(&self, product: &str) -> i64 {
        let body: Value = self
            .catalog
            .get(&format!("/api/products/{product}"), None)
            .await
            .json()
            .await
            .unwrap();
        body["stock"].as_i64().unwrap()
    }

    pub(crate) async fn cart(&self, token: &str, product: &str, quantity: u32) {
        let orders = self.orders();
        let response = orders
            .client()
            .put(orders.url(&format!("/api/cart/items/{product}")))
            .bearer_auth(token)
            .json(&json!({"quantity": quantity}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }

    pub(crate) async fn checkout(&self, token: &str, key: &str) -> reqwest::Response {
        checkout_at(self.orders(), token, key).await
    }

    /// Checks the cart out, which must succeed, and returns the new order's id.
    pub(crate) async fn placed_order_id(&self, token: &str, key: &str) -> String {
        let placed = self.checkout(token, key).await;
        assert_eq!(placed.status(), 201);
        placed.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Rows of `sql` (a `count(*)`) in the orders or catalog database.
    pub(crate) async fn count(service: &Service, sql: &str) -> i64 {
        match &service.db {
            agora_adapters::store::Database::Sqlite(db) => sqlx::query_scalar(sql)
                .fetch_one(db.reader())
                .await
                .unwrap(),
            agora_adapters::store::Database::Postgres(pool) => {
                sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
            }
        }
    }

    pub(crate) async fn unconfirmed(&self) -> i64 {
        Self::count(
            self.orders(),
            "SELECT count(*) FROM unconfirmed_reservations",
        )
        .await
    }

    pub(crate) async fn unreleased(&self) -> i64 {
        Self::count(
            self.orders(),
            "SELECT count(*) FROM unreleased_reservations",
        )
        .await
    }
}

pub(crate) async fn checkout_at(orders: &Service, token: &str, key: &str) -> reqwest::Response {
    orders
        .client()
        .post(orders.url("/api/orders"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
}

macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::support::Backend::Postgres).await;
            }
        }
    )+};
}
pub(crate) use on_both;

on_both!(
    a_checkout_across_services_reserves_confirms_and_a_cancel_returns_stock_once,
    a_failure_after_the_reservation_leaves_stock_as_before,
    an_orders_crash_mid_saga_is_undone_by_the_expiry_sweeper,
    a_confirm_lost_after_commit_is_recovered,
    a_reservation_expired_before_its_confirm_cancels_the_order,
    a_cancel_whose_release_fails_stands_and_the_recovery_returns_the_stock_once,
    reservation_calls_over_http_are_idempotent,
);

async fn a_checkout_across_services_reserves_confirms_and_a_cancel_returns_stock_once(
    backend: Backend,
) {
    let split = Split::start(backend).await;
    let admin = split.identity.account(Role::Admin).await;
    let buyer = split.identity.account(Role::User).await;
    let product = split.product(&admin, 5).await;
    split.cart(&buyer, &product, 2).await;

    let placed = split.checkout(&buyer, "saga-1").await;
    assert_eq!(placed.status(), 201);
    let order: Value = placed.json().await.unwrap();
    assert_eq!(
        order["items"][0]["name"], "Saga Lamp",
        "names come over HTTP: {order}"
    );
    assert_eq!(split.stock(&product).await, 3);
    assert_eq!(
        split.unconfirmed().await,
        0,
        "confirmed within the checkout"
    );
    let pending = "SELECT count(*) FROM stock_reservations WHERE expires_at IS NOT NULL";
    assert_eq!(
        Split::count(&split.catalog, pending).await,
        0,
        "final in catalog"
    );

    let replay = split.checkout(&buyer, "saga-1").await;
    assert_eq!(replay.status(), 201);
    assert_eq!(split.stock(&product).await, 3, "a replay reserves nothing");

    let id = order["id"].as_str().unwrap();
    let cancel = format!("/api/orders/{id}/cancel");
    let orders = split.orders();
    assert_eq!(
        orders
            .post(&cancel, Some(&buyer), &json!({}))
            .await
            .status(),
        200
    );
    assert_eq!(split.stock(&product).await, 5);
    assert_error(
        orders.post(&cancel, Some(&buyer), &json!({})).await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(split.stock(&product).await, 5, "stock comes back once");
}

async fn a_failure_after_the_reservation_leaves_stock_as_before(backend: Backend) {
    let split = Split::start(backend).await;
    let admin = split.identity.account(Role::Admin).await;
    let buyer = split.identity.account(Role::User).await;
    let product = split.product(&admin, 5).await;
    split.cart(&buyer, &product, 2).await;

    // Catalog reserves and commits, then orders loses the answer: it compensates at once.
    split.remote().inject(Some(Fault::FailAfterReserve));
    assert_error(split.checkout(&buyer, "fail-1").await, 503, "unavailable").await;
    assert_eq!(
        split.stock(&product).await,
        5,
        "released, not left to expire"
    );
    let held = "SELECT count(*) FROM stock_reservations WHERE released_at IS NULL";
    assert_eq!(Split::count(&split.catalog, held).await, 0);
    assert_eq!(
        Split::count(split.orders(), "SELECT count(*) FROM orders").await,
        0
    );

    split.remote().inject(None);
    assert_eq!(
        split.checkout(&buyer, "fail-2").await.status(),
        201,
        "the cart survived"
    );
    assert_eq!(split.stock(&product).await, 3);
}

async fn an_orders_crash_mid_saga_is_undone_by_the_expiry_sweeper(backend: Backend) {
    let mut split = Split::start(backend).await;
    let admin = split.identity.account(Role::Admin).await;
    let buyer = split.identity.account(Role::User).await;
    let other = split.identity.account(Role::User).await;
    let product = split.product(&admin, 5).await;
    split.cart(&other, &product, 1).await;
    assert_eq!(split.checkout(&other, "kept").await.status(), 201);
    split.cart(&buyer, &product, 2).await;
    assert_eq!(split.stock(&product).await, 4);

    // Orders reserves, then "crashes" before its commit: the checkout never returns.
    split.remote().inject(Some(Fault::HangAfterReserve));
    let client = split.orders().client().clone();
    let url = split.orders().url("/api/orders");
    let request = tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(&buyer)
            .header("idempotency-key", "crash-1")
            .json(&json!({}))
            .send()
            .await
    });
    until(Duration::from_secs(10), "the reservation", || async {
        split.stock(&product).await == 2
    })
    .await;
    drop(split.orders.take());
    request.abort();

    // After `catalog.reservation_ttl` (1 s) the sweeper gives the pending units back; the
    // confirmed order keeps its unit.
    until(Duration::from_secs(10), "the sweeper", || async {
        split.stock(&product).await == 4
    })
    .await;
    let released = "SELECT count(*) FROM stock_reservations WHERE released_at IS NOT NULL";
    assert_eq!(Split::count(&split.catalog, released).await, 1);
    let held =
        "SELECT count(*) FROM stock_reservations WHERE released_at IS NULL AND expires_at IS NULL";
    assert_eq!(
        Split::count(&split.catalog, held).await,
        1,
        "the confirmed one stays"
    );
}

async fn a_confirm_lost_after_commit_is_recovered(backend: Backend) {
    let split = Split::start(backend).await;
    let admin = split.identity.account(Role::Admin).await;
    let buyer = split.identity.account(Role::User).await;
    let product = split.product(&admin, 5).await;
    split.cart(&buyer, &product, 2).await;

    split.remote().inject(Some(Fault::FailConfirm));
    assert_eq!(
        split.checkout(&buyer, "lost-1").await.status(),
        201,
        "the order stands"
    );
    assert_eq!(split.unconfirmed().await, 1);
    split.remote().inject(None);
    // The recovery task confirms before the reservation expires (interval 100 ms, TTL 1 s).
    until(Duration::from_secs(5), "the recovery", || async {
        split.unconfirmed().await == 0
    })
    .await;
    let pending = "SELECT count(*) FROM stock_reservations WHERE expires_at IS NOT NULL";
    assert_eq!(Split::count(&split.catalog, pending).await, 0);
    assert_eq!(split.stock(&product).await, 3);
}

async fn a_reservation_expired_before_its_confirm_cancels_the_order(backend: Backend) {
    let split = Split::start(backend).await;
    let admin = split.identity.account(Role::Admin).await;
    let buyer = split.identity.account(Role::User).await;
    let product = split.product(&admin, 5).await;
    split.cart(&buyer, &product, 2).await;

    // Confirms keep failing longer than the TTL (orders cut off from catalog's confirm): the
    // sweeper puts the units back on sale, so the order cannot be served from them.
    split.remote().inject(Some(Fault::FailConfirm));
    let id = split.placed_order_id(&buyer, "expired-1").await;
    assert_eq!(split.stock(&product).await, 3);
    until(Duration::from_secs(10), "the sweeper", || async {
        split.stock(&product).await == 5
    })
    .await;
    split.remote().inject(None);
    until(Duration::from_secs(5), "the recovery", || async {
        split.unconfirmed().await == 0
    })
    .await;
    let order: Value = split
        .orders()
        .get(&format!("/api/orders/{id}"), Some(&buyer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "cancelled", "{order}");
    assert_eq!(split.stock(&product).await, 5, "nothing given back twice");
}

async fn a_cancel_whose_release_fails_stands_and_the_recovery_returns_the_stock_once(
    backend: Backend,
) {
    let split = Split::start(backend).await;
    let admin = split.identity.account(Role::Admin).await;
    let buyer = split.identity.account(Role::User).await;
    let product = split.product(&admin, 5).await;
    split.cart(&buyer, &product, 2).await;
    let id = split.placed_order_id(&buyer, "unreleased-1").await;
    assert_eq!(split.stock(&product).await, 3);

    // The cancel commits first; the release after it fails: the order is cancelled, the units
    // are still held, and the pending release is on record — never the other way round.
    split.remote().inject(Some(Fault::FailRelease));
    let cancel = format!("/api/orders/{id}/cancel");
    let cancelled = split.orders().post(&cancel, Some(&buyer), &json!({})).await;
    assert_eq!(cancelled.status(), 200);
    assert_eq!(
        cancelled.json::<Value>().await.unwrap()["status"],
        "cancelled"
    );
    assert_eq!(split.stock(&product).await, 3, "not released yet");
    assert_eq!(split.unreleased().await, 1);

    // Catalog reachable again: the recovery task releases, exactly once.
    split.remote().inject(None);
    until(Duration::from_secs(5), "the recovery", || async {
        split.unreleased().await == 0
    })
    .await;
    assert_eq!(split.stock(&product).await, 5);
    assert_error(
        split.orders().post(&cancel, Some(&buyer), &json!({})).await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(split.stock(&product).await, 5, "stock comes back once");
}

async fn reservation_calls_over_http_are_idempotent(backend: Backend) {
    let split = Split::start(backend).await;
    let admin = split.identity.account(Role::Admin).await;
    let product = split.product(&admin, 5).await;
    let inventory: Arc<dyn Inventory> = split.orders().registry.get().unwrap();
    let id = Uuid::now_v7();
    let line = ReservationLine {
        product_id: product.parse().unwrap(),
        quantity: 2,
    };
    assert_eq!(
        inventory.reserve(None, id, &[line]).await,
        Ok(Hold::Pending)
    );
    assert_eq!(
        inventory.reserve(None, id, &[line]).await,
        Ok(Hold::Pending)
    );
    assert_eq!(split.stock(&product).await, 3, "reserved once");
    inventory.confirm(id).await.unwrap();
    inventory.confirm(id).await.unwrap();
    inventory.release(None, id).await.unwrap();
    inventory.release(None, id).await.unwrap();
    assert_eq!(split.stock(&product).await, 5, "released once");
    assert_eq!(
        inventory.confirm(id).await,
        Err(InventoryError::NotHeld(id))
    );
    inventory.release(None, Uuid::now_v7()).await.unwrap();

    let short = ReservationLine {
        quantity: 9,
        ..line
    };
    let refused = inventory.reserve(None, Uuid::now_v7(), &[short]).await;
    assert!(
        matches!(refused, Err(InventoryError::OutOfStock(ref s)) if s[0].available == 5),
        "{refused:?}"
    );
    let gone = ReservationLine {
        product_id: Uuid::now_v7(),
        quantity: 1,
    };
    let refused = inventory.reserve(None, Uuid::now_v7(), &[gone]).await;
    assert_eq!(
        refused,
        Err(InventoryError::NotForSale(vec![gone.product_id]))
    );
    assert_eq!(split.stock(&product).await, 5);
}
