use uuid::Uuid;

use crate::identity::{Principal, Role, Tier};

/// Whom a flag is evaluated for: a signed-in user (with the role and tier targeting looks at) or
/// an anonymous visitor known only by a stable random id (the `agora_vid` cookie on the web).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// An authenticated user.
    User {
        /// The user id.
        id: Uuid,
        /// Role at authentication time.
        role: Role,
        /// Tier at authentication time.
        tier: Tier,
    },
    /// An anonymous visitor.
    Visitor {
        /// A random id the visitor keeps (cookie), so their answers are stable.
        id: Uuid,
    },
}

impl Subject {
    /// A signed-in user.
    pub fn user(id: Uuid, role: Role, tier: Tier) -> Self {
        Self::User { id, role, tier }
    }

    /// An anonymous visitor.
    pub fn visitor(id: Uuid) -> Self {
        Self::Visitor { id }
    }

    /// The id bucketing hashes: the user id, or the visitor id.
    pub fn id(&self) -> Uuid {
        match self {
            Self::User { id, .. } | Self::Visitor { id } => *id,
        }
    }

    /// The role, for users.
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::User { role, .. } => Some(*role),
            Self::Visitor { .. } => None,
        }
    }

    /// The tier, for users.
    pub fn tier(&self) -> Option<Tier> {
        match self {
            Self::User { tier, .. } => Some(*tier),
            Self::Visitor { .. } => None,
        }
    }
}

impl From<&Principal> for Subject {
    fn from(principal: &Principal) -> Self {
        Self::user(principal.user_id, principal.role, principal.tier)
    }
}
