//! Ports: the traits through which use cases reach the outside world. Each has one adapter per
//! backend (SQLite/Postgres, SMTP/mailbox, memory/Redis/NATS…) chosen by configuration.
//!
//! The modules named after a bounded context (`ports::identity`, `ports::catalog`) also hold what
//! that context *publishes* to the others (`UserDirectory`, `ProductCatalog`): traits without a
//! `Tx` in their signatures, so a split topology can implement them with an HTTP client. Their
//! doc comments are the contract a caller may rely on across a network.

mod analytics;
mod bus;
mod cache;
pub mod catalog;
pub mod content;
mod error;
mod events;
mod flags;
pub mod identity;
mod keys;
mod mail;
pub mod orders;
mod outbox;
mod password;
mod ratelimit;
mod store;
mod webhooks;

pub use analytics::AnalyticsStore;
pub use bus::{
    event_family, Ack, BusError, Delivery, EventConsumer, EventHandler, EventPublisher,
    EventSource, Subscription,
};
pub use cache::{Load, TaggedCache};
pub use catalog::{
    load_page, CatalogCache, CategoryRepository, Hold, Inventory, InventoryError, ProductCatalog,
    ProductRepository, ProductSnapshot, ReservationLine, ReserveOutcome, Shortage, StockChange,
    StockRepository,
};
pub use content::{CommentRepository, PostRepository};
pub use error::PortError;
pub use events::{ConsumerLedger, DeadLetter};
pub use flags::{FeatureGate, FlagRepository};
pub use identity::{
    AccessTokens, AuditLog, EmailTokenRepository, RefreshTokenRepository, SecretTokens,
    SessionStates, SessionStatus, TokenDenylist, TokenError, UserDirectory, UserFilter,
    UserProfile, UserRepository,
};
pub use keys::{AccessTokenVerifier, KeySourceError, VerificationKey, VerificationKeys};
pub use mail::{MailError, Mailer};
pub use orders::{
    CartRepository, IdempotencyRecord, IdempotencyState, IdempotencyStore, OrderFilter,
    OrderRepository, OrderSort, PaymentAttempt, PaymentError, PaymentProvider, PaymentRepository,
    PaymentStatus,
};
pub use outbox::{
    dead_letter_at, Job, JobHandler, MailboxReader, Outbox, OutboxItem, OutboxMessage, StoredMail,
};
pub use password::{PasswordHashError, PasswordHasher};
pub use ratelimit::RateLimiter;
pub use store::{StoreError, Tx, TxBackend, UnitOfWork};
pub use webhooks::{SendOutcome, WebhookSender, WebhookStore};
