//! The web app on the HTTP edge: the SPA answers what no route matched (an unmatched `/api/…`
//! path keeps the JSON 404), and `GET /graphql` is GraphiQL. Outside [`crate::served_routes`]:
//! pages, not API operations, so they stay out of the OpenAPI document and its completeness test.

use agora_web::WebUi;
use axum::{
    extract::Request,
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use crate::ApiError;

/// `router` with the web app's route and fallback.
pub(crate) fn routes(router: Router, web: WebUi) -> Router {
    let graphiql = web.clone();
    router
        .route(
            "/graphql",
            get(move |headers: HeaderMap| async move { graphiql.graphiql(&headers) }),
        )
        .fallback(move |request: Request| async move { answer(&web, &request) })
}

fn answer(web: &WebUi, request: &Request) -> Response {
    web.respond(request.method(), request.uri().path(), request.headers())
        .unwrap_or_else(|| ApiError::from(agora_app::AppError::NotFound).into_response())
}
