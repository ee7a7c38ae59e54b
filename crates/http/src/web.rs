//! The web app on the HTTP edge: the SPA answers what no route matched (an unmatched `/api/…`
//! path keeps the JSON 404), and `GET /graphql` is GraphiQL (when GraphQL is compiled in). Outside [`crate::served_routes`]:
//! pages, not API operations, so they stay out of the OpenAPI document and its completeness test.

use agora_web::WebUi;
use axum::{
    extract::Request,
    response::{IntoResponse, Response},
    Router,
};

use crate::ApiError;

/// `router` with the web app's route and fallback.
pub(crate) fn routes(router: Router, web: WebUi) -> Router {
    #[cfg(feature = "graphql")]
    let router = {
        let graphiql = web.clone();
        router.route(
            "/graphql",
            axum::routing::get(move |headers: axum::http::HeaderMap| async move {
                graphiql.graphiql(&headers)
            }),
        )
    };
    router.fallback(move |request: Request| async move { answer(&web, &request) })
}

fn answer(web: &WebUi, request: &Request) -> Response {
    web.respond(request.method(), request.uri().path(), request.headers())
        .unwrap_or_else(|| ApiError::from(agora_app::AppError::NotFound).into_response())
}
