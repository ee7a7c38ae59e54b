//! Identity's internal endpoint: the published user directory.

use std::sync::Arc;

use agora_domain::{
    ports::identity::UserDirectory,
    service_api::{Ids, ProfileDto, Profiles},
    service_auth::ServiceKey,
};
use axum::{extract::State, routing::post, Json, Router};

use crate::{error::ApiError, openapi::RestApi};

/// `/internal/identity/…`, behind the signature check.
pub fn identity_api(directory: Arc<dyn UserDirectory>, key: Option<ServiceKey>) -> RestApi {
    let router = Router::new()
        .route("/internal/identity/profiles", post(profiles))
        .with_state(directory)
        .route_layer(axum::middleware::from_fn_with_state(
            key,
            super::require_signature,
        ));
    RestApi::from(router)
}

async fn profiles(
    State(directory): State<Arc<dyn UserDirectory>>,
    Json(body): Json<Ids>,
) -> Result<Json<Profiles>, ApiError> {
    let found = directory
        .profiles(&body.ids)
        .await
        .map_err(agora_app::AppError::from)?;
    Ok(Json(Profiles {
        profiles: found.iter().map(ProfileDto::from).collect(),
    }))
}
