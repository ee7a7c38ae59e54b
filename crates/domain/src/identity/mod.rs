//! The identity bounded context: who a user is, what role and tier they hold.

mod email;
mod name;
mod role;
mod user;

pub use email::Email;
pub use name::PersonName;
pub use role::{Role, Tier, UnknownVariant};
pub use user::{NewUser, User};
