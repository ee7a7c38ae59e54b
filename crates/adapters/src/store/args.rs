//! Bound parameters of queries rendered at run time (composable scopes), bound in order on either
//! backend by [`bind_args!`].

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A bound parameter of a rendered query.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Uuid(Uuid),
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
}

/// Binds rendered arguments in order to a `sqlx::query`/`query_scalar`; expanded per backend.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::store::Arg::Uuid(v) => query.bind(*v),
                $crate::store::Arg::Int(v) => query.bind(*v),
                $crate::store::Arg::Text(v) => query.bind(v.clone()),
                $crate::store::Arg::Time(v) => query.bind(*v),
            };
        }
        query
    }};
}
pub(crate) use bind_args;
