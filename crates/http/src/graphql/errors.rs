//! Failures → GraphQL errors with the REST codes in `extensions.code` (and `details` for
//! validation), so clients handle both APIs alike — and the same whichever process failed.

use agora_app::AppError;
use async_graphql::{ErrorExtensions, Value};

use super::ports::Failure;

/// A resolver's result.
pub type GqlResult<T> = Result<T, async_graphql::Error>;

/// The GraphQL error of an application error: the REST message, code and details; internal
/// detail only in the log.
pub fn gql_error(error: AppError) -> async_graphql::Error {
    failure(Failure::from(error))
}

/// The GraphQL error of a port's failure (in-process or answered by another service).
pub fn failure(failure: Failure) -> async_graphql::Error {
    let details: Vec<Value> = failure
        .details
        .iter()
        .map(|d| {
            let mut map = async_graphql::indexmap::IndexMap::new();
            map.insert(
                async_graphql::Name::new("field"),
                Value::from(d.field.clone()),
            );
            map.insert(
                async_graphql::Name::new("message"),
                Value::from(d.message.clone()),
            );
            Value::Object(map)
        })
        .collect();
    let Failure { code, message, .. } = failure;
    async_graphql::Error::new(message).extend_with(|_, extensions| {
        extensions.set("code", code.as_str());
        if !details.is_empty() || code == "validation_failed" {
            extensions.set("details", Value::List(details.clone()));
        }
    })
}

/// Gives every error of `response` without a code the code `code`.
pub(super) fn label(response: &mut async_graphql::Response, code: &str) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code);
            if code == "validation_failed" {
                extensions.set("details", Value::List(Vec::new()));
            }
        }
    }
}
