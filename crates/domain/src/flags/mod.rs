//! The feature-flags bounded context: flags with a percentage rollout and targeting, and the pure
//! rule that decides whether a flag is on for one subject. Evaluation does no I/O, so every replica
//! (and every release) gives the same subject the same answer.

mod evaluate;
mod flag;
mod key;
mod subject;

pub use evaluate::{bucket, evaluate};
pub use flag::{
    parse_description, parse_roles, parse_tiers, parse_user_ids, FeatureFlag, RolloutPercent,
    MAX_DESCRIPTION_CHARS, MAX_USER_IDS,
};
pub use key::FlagKey;
pub use subject::Subject;
