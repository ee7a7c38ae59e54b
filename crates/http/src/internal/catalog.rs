//! Catalog's internal endpoints: product snapshots and the reservation saga's steps.

use std::sync::Arc;

use agora_domain::{
    ports::{catalog::ProductCatalog, Inventory, InventoryError},
    service_api::{Ids, ReservationOutcome, ReserveRequest, SnapshotDto, Snapshots},
    service_auth::ServiceKey,
};
use axum::{
    extract::{Path, State},
    routing::{post, put},
    Json, Router,
};
use uuid::Uuid;

use crate::{
    error::{ApiError, ErrorPayload},
    openapi::RestApi,
};

/// What the endpoints call.
#[derive(Clone)]
struct Ports {
    catalog: Arc<dyn ProductCatalog>,
    inventory: Arc<dyn Inventory>,
}

/// `/internal/catalog/…`, behind the signature check.
pub fn catalog_api(
    catalog: Arc<dyn ProductCatalog>,
    inventory: Arc<dyn Inventory>,
    key: Option<ServiceKey>,
) -> RestApi {
    let router = Router::new()
        .route("/internal/catalog/snapshots", post(snapshots))
        .route("/internal/catalog/reservations/{id}", put(reserve))
        .route("/internal/catalog/reservations/{id}/confirm", post(confirm))
        .route("/internal/catalog/reservations/{id}/release", post(release))
        .with_state(Ports { catalog, inventory })
        .route_layer(axum::middleware::from_fn_with_state(
            key,
            super::require_signature,
        ));
    RestApi::from(router)
}

async fn snapshots(
    State(ports): State<Ports>,
    Json(body): Json<Ids>,
) -> Result<Json<Snapshots>, ApiError> {
    let found = ports
        .catalog
        .snapshots(&body.ids)
        .await
        .map_err(agora_app::AppError::from)?;
    Ok(Json(Snapshots {
        snapshots: found.iter().map(SnapshotDto::from).collect(),
    }))
}

/// A refusal is an answer; only a failing catalog is an error (503).
fn answer(
    result: Result<(), InventoryError>,
    done: ReservationOutcome,
) -> Result<Json<ReservationOutcome>, ApiError> {
    match result {
        Ok(()) => Ok(Json(done)),
        Err(InventoryError::Port(error)) => Err(agora_app::AppError::from(error).into()),
        Err(refused) => Ok(Json(
            ReservationOutcome::refusal(&refused).expect("a refusal"),
        )),
    }
}

async fn reserve(
    State(ports): State<Ports>,
    Path(id): Path<Uuid>,
    Json(body): Json<ReserveRequest>,
) -> Result<Json<ReservationOutcome>, ApiError> {
    if body.lines.is_empty() || body.lines.iter().any(|l| l.quantity == 0) {
        // Callers are trusted (signed) but a bug must not reach the store's CHECK as a 500.
        let status = axum::http::StatusCode::BAD_REQUEST;
        return Err(ApiError::new(status, ErrorPayload::for_status(status)));
    }
    // Without the caller's transaction: pending until confirmed (ADR 0031).
    let result = ports.inventory.reserve(None, id, &body.lines()).await;
    answer(result.map(drop), ReservationOutcome::Reserved)
}

async fn confirm(
    State(ports): State<Ports>,
    Path(id): Path<Uuid>,
) -> Result<Json<ReservationOutcome>, ApiError> {
    answer(
        ports.inventory.confirm(id).await,
        ReservationOutcome::Confirmed,
    )
}

async fn release(
    State(ports): State<Ports>,
    Path(id): Path<Uuid>,
) -> Result<Json<ReservationOutcome>, ApiError> {
    answer(
        ports.inventory.release(None, id).await,
        ReservationOutcome::Released,
    )
}
