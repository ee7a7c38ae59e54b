//! A module's routes as data as well as a router.
//!
//! axum cannot list the routes of a `Router`, yet the OpenAPI completeness test needs exactly that
//! list. So each module builds its router through a [`RouteTable`], which records every
//! `(method, path)` it routes: the same call both serves a handler and lists it, and the list
//! cannot drift from what is served. [`crate::openapi::routed`] gathers the tables; the `openapi`
//! contract test compares them with the document (and cross-checks the routers the running app
//! registered, so a router built without a table is caught as well).

use axum::{
    handler::Handler,
    routing::{self, MethodRouter},
    Router,
};

/// One routed operation: an HTTP method and an axum path template (`{id}` for a parameter, the
/// same syntax as OpenAPI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route {
    /// Upper-case method name (`GET`, `POST`, …).
    pub method: &'static str,
    /// Path template, e.g. `/api/admin/users/{id}`.
    pub path: &'static str,
}

/// Builds a module's router while recording its routes. Only single-method registrations exist,
/// so the recorded method is always the routed one.
#[derive(Debug)]
pub struct RouteTable<S = ()> {
    router: Router<S>,
    routes: Vec<Route>,
}

impl<S> Default for RouteTable<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! method {
    ($($(#[$doc:meta])* $name:ident => $method:literal;)+) => {$(
        $(#[$doc])*
        pub fn $name<H, T>(self, path: &'static str, handler: H) -> Self
        where
            H: Handler<T, S>,
            T: 'static,
        {
            self.add($method, path, routing::$name(handler))
        }
    )+};
}

impl<S> RouteTable<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// An empty table.
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            routes: Vec::new(),
        }
    }

    method! {
        /// Routes `GET path` (axum also answers `HEAD` with it).
        get => "GET";
        /// Routes `POST path`.
        post => "POST";
        /// Routes `PUT path`.
        put => "PUT";
        /// Routes `PATCH path`.
        patch => "PATCH";
        /// Routes `DELETE path`.
        delete => "DELETE";
    }

    // axum merges a second `route` on the same path into the first one's method router, so
    // `.get(p, a).patch(p, b)` behaves like `.route(p, get(a).patch(b))`.
    fn add(mut self, method: &'static str, path: &'static str, route: MethodRouter<S>) -> Self {
        self.router = self.router.route(path, route);
        self.routes.push(Route { method, path });
        self
    }

    /// The recorded routes, in registration order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The router serving every recorded route.
    pub fn into_router(self) -> Router<S> {
        self.router
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_one_entry_per_method_and_path() {
        let table: RouteTable = RouteTable::new()
            .get("/things", || async {})
            .post("/things", || async {})
            .delete("/things/{id}", || async {});
        assert_eq!(
            table.routes(),
            [
                Route {
                    method: "GET",
                    path: "/things"
                },
                Route {
                    method: "POST",
                    path: "/things"
                },
                Route {
                    method: "DELETE",
                    path: "/things/{id}"
                },
            ]
        );
    }
}
