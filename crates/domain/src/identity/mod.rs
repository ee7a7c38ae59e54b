//! The identity bounded context: who a user is, what role and tier they hold.

mod audit;
mod email;
mod events;
mod name;
mod password;
mod role;
mod session;
mod user;

pub use audit::AuditEntry;
pub use email::Email;
pub use events::IdentityEvent;
pub use name::PersonName;
pub use password::{parse_age, Password};
pub use role::{Role, Tier, UnknownVariant};
pub use session::{AccessGrant, EmailTokenPurpose, Principal, Redemption, RefreshRecord};
pub use user::{NewUser, User};
