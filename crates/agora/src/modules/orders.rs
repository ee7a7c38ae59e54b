use std::{sync::Arc, time::Duration};

use agora_adapters::{
    orders::{
        FakePaymentProvider, SqlCartRepository, SqlIdempotencyStore, SqlOrderRepository,
        SqlPaymentRepository,
    },
    remote::RemoteCatalog,
    store::Database,
};
use agora_app::{
    flags::Flags,
    orders::{Orders, OrdersDeps, OrdersSettings},
};
use agora_domain::ports::{
    catalog::ProductCatalog, FeatureGate, Inventory, Outbox, PaymentProvider, UnitOfWork,
};
use async_trait::async_trait;

use super::{Context, Module, Registry};
use crate::{
    config::{Config, ConfigError},
    supervisor::{ModuleTasks, Supervisor},
};

const HOUSEKEEPING_TASK: &str = "orders-housekeeping";
const RECOVERY_TASK: &str = "reservation-recovery";

/// Orders whose reservation the recovery task confirms per query.
const RECOVERY_BATCH: u32 = 100;

/// The orders context: cart, checkout, payment, order state machine.
pub struct OrdersContext;

/// `[orders]` (`AGORA_ORDERS__*`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrdersConfig {
    /// How long an `Idempotency-Key` is remembered (API.md: 24 h).
    #[serde(with = "humantime_serde")]
    pub idempotency_ttl: Duration,
    /// How long a checkout holds its key before a retry may take over (the holder crashed).
    #[serde(with = "humantime_serde")]
    pub idempotency_lease: Duration,
    /// The payment provider: only `fake` (built in, in memory) exists today; a real one plugs in
    /// here behind the `PaymentProvider` port (ADR 0016).
    pub payment_provider: String,
    /// The fake provider declines every payment of exactly this many minor units (tests, demos).
    pub payment_decline_amount: Option<i64>,
    /// With catalog as a separate service: how often the recovery task confirms reservations a
    /// failed or crashed checkout left unconfirmed (keep it well below `catalog.reservation_ttl`).
    #[serde(with = "humantime_serde")]
    pub recovery_interval: Duration,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        let defaults = OrdersSettings::default();
        Self {
            idempotency_ttl: defaults.idempotency_ttl,
            idempotency_lease: defaults.idempotency_lease,
            payment_provider: "fake".into(),
            payment_decline_amount: None,
            recovery_interval: Duration::from_secs(5),
        }
    }
}

impl OrdersConfig {
    /// The configured provider, and the fake one also as itself: the module publishes it so
    /// tests can read what it charged (captures, refunds).
    fn provider(
        &self,
    ) -> Result<(Arc<dyn PaymentProvider>, Option<FakePaymentProvider>), ConfigError> {
        match self.payment_provider.as_str() {
            "fake" => {
                let fake = FakePaymentProvider::new(self.payment_decline_amount);
                Ok((Arc::new(fake.clone()), Some(fake)))
            }
            other => Err(ConfigError::Invalid(format!(
                "`orders.payment_provider` (AGORA_ORDERS__PAYMENT_PROVIDER): unknown payment \
                 provider `{other}`; expected `fake`"
            ))),
        }
    }
}

impl Context for OrdersContext {
    fn name(&self) -> &'static str {
        "orders"
    }

    fn description(&self) -> &'static str {
        "cart, idempotent checkout, stock reservation via catalog, payment, order state machine"
    }

    fn dependencies(&self) -> &'static [&'static str] {
        // As a service of its own, orders reaches catalog over HTTP and runs flags itself, on
        // its own tables (ADR 0030).
        &["flags", "catalog", "platform"]
    }

    fn standalone(&self) -> bool {
        true
    }

    fn migrations(&self) -> &'static [agora_adapters::store::migrations::Migration] {
        agora_adapters::orders::MIGRATIONS
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        agora_http::orders::api().into_openapi()
    }

    fn config_section(&self) -> Option<&'static str> {
        Some("orders")
    }

    fn check_config(&self, config: &Config) -> Result<(), ConfigError> {
        config
            .section::<OrdersConfig>("orders")?
            .provider()
            .map(drop)
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(OrdersModule {
            settings: config.section("orders")?,
            tasks: ModuleTasks::default(),
        }))
    }
}

/// Orders. Owns `cart_items`, `orders`, `order_items`, `order_history`, `idempotency_keys`,
/// `payments`; reaches catalog only through its published ports.
pub struct OrdersModule {
    settings: OrdersConfig,
    tasks: ModuleTasks,
}

#[async_trait]
impl Module for OrdersModule {
    fn name(&self) -> &'static str {
        "orders"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db: Database = registry.get()?;
        let flags: Flags = registry.get()?;
        let (provider, fake) = self.settings.provider()?;
        if let Some(fake) = fake {
            registry.provide(fake);
        }
        let deps = OrdersDeps {
            uow: registry.get::<Arc<dyn UnitOfWork>>()?,
            carts: Arc::new(SqlCartRepository::new(db.clone())),
            orders: Arc::new(SqlOrderRepository::new(db.clone())),
            idempotency: Arc::new(SqlIdempotencyStore::new(db.clone())),
            payments: Arc::new(SqlPaymentRepository::new(db)),
            provider,
            catalog: registry.get::<Arc<dyn ProductCatalog>>()?,
            inventory: registry.get::<Arc<dyn Inventory>>()?,
            outbox: registry.get::<Arc<dyn Outbox>>()?,
            flags: Arc::new(flags) as Arc<dyn FeatureGate>,
        };
        let settings = OrdersSettings {
            idempotency_ttl: self.settings.idempotency_ttl,
            idempotency_lease: self.settings.idempotency_lease,
        };
        let orders = Orders::new(deps, settings);
        registry.routes(agora_http::orders::api().with_state(orders.clone()));
        registry.provide(orders.clone());
        if registry.get::<super::Headless>().is_err() {
            let supervisor: Supervisor = registry.get()?;
            let housekeeping = orders.clone();
            supervisor.spawn(HOUSEKEEPING_TASK, move |mut stop| {
                let orders = housekeeping.clone();
                async move {
                    loop {
                        match orders.purge_expired_keys().await {
                            Ok(0) => {}
                            Ok(purged) => tracing::info!(purged, "expired idempotency keys purged"),
                            Err(error) => {
                                tracing::warn!(%error, "could not purge idempotency keys")
                            }
                        }
                        tokio::select! {
                            _ = stop.wait_for(|s| *s) => return Ok(()),
                            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                        }
                    }
                }
            });
            // Only a remote catalog leaves reservations to confirm (ADR 0031).
            if registry.get::<Arc<RemoteCatalog>>().is_ok() {
                spawn_recovery(&supervisor, orders, self.settings.recovery_interval);
            }
            self.tasks
                .started(supervisor, &[HOUSEKEEPING_TASK, RECOVERY_TASK]);
        }
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        self.tasks.stop().await;
        Ok(())
    }
}

/// Confirms the reservations of committed orders that a failed confirm or a crash between
/// commit and confirm left pending, before catalog's sweeper would return their stock; and
/// releases those of cancelled orders that a failed release or a crash left held.
fn spawn_recovery(supervisor: &Supervisor, orders: Orders, every: Duration) {
    supervisor.spawn_batches(
        RECOVERY_TASK,
        every,
        RECOVERY_BATCH,
        "could not settle pending reservations",
        move |limit| {
            let orders = orders.clone();
            async move {
                let confirmed = orders.confirm_pending_reservations(limit).await?;
                let released = orders.release_pending_reservations(limit).await?;
                Ok::<_, agora_app::AppError>(confirmed + released)
            }
        },
    );
}
