//! The gateway's routing table: which service answers which public path. One table, in one
//! place; a test checks it against every path of the OpenAPI document and against what each
//! existing target really serves, so a route added to a context cannot silently go nowhere.
//!
//! Services are named like the targets of `agora serve --target`; a service's upstreams come
//! from `AGORA_<SERVICE>_URL` (or the gateway's default pool, `gateway.upstreams`), so a context
//! that becomes a target of its own (orders, content) joins by name.

/// Path prefixes and the service that answers them. A prefix matches the path itself and
/// everything below it (`/api/products` matches `/api/products/42`, not `/api/productsx`).
pub const ROUTES: &[(&str, &str)] = &[
    // identity: accounts, sessions, its public keys, its audit log and the mailbox its relay
    // writes (verification and reset links).
    ("/api/auth", "identity"),
    ("/api/users", "identity"),
    ("/api/admin/users", "identity"),
    ("/api/admin/audit", "identity"),
    ("/api/admin/mailbox", "identity"),
    ("/.well-known", "identity"),
    // catalog
    ("/api/products", "catalog"),
    ("/api/categories", "catalog"),
    // orders, with the flags context it depends on (checkout reads `new-checkout-flow`)
    ("/api/cart", "orders"),
    ("/api/orders", "orders"),
    ("/api/admin/orders", "orders"),
    ("/api/flags", "orders"),
    ("/api/admin/flags", "orders"),
    // content
    ("/api/posts", "content"),
    ("/api/comments", "content"),
    // the worker: consumers' read models, webhooks and dead letters
    ("/api/admin/stats", "worker"),
    ("/api/admin/webhooks", "worker"),
    ("/api/admin/events", "worker"),
    // GraphQL resolves across every context: a monolith answers it (`AGORA_GRAPHQL_URL`, or the
    // replicas of `gateway.upstreams`); without one, the gateway hosts the schema itself over
    // the services' internal GraphQL ports (ADR 0035), and only other methods come here.
    ("/graphql", "graphql"),
    // The document and its viewer: every target serves its own; identity's is the entry point.
    ("/api/openapi.json", "identity"),
    ("/api/docs", "identity"),
];

/// The service that serves the web app (every target embeds it; identity is always deployed).
pub const WEB_SERVICE: &str = "identity";

/// What the gateway does with a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// Forward to this service.
    Service(&'static str),
    /// The gateway answers itself (`/health`, `/ready`).
    Local,
    /// 404 without forwarding: `/internal/…` (service-to-service only, never public) and
    /// `/api/…` paths no service owns.
    NotFound,
}

/// Where `path` goes.
pub fn destination(path: &str) -> Destination {
    if under(path, "/internal") {
        return Destination::NotFound;
    }
    if path == "/health" || path == "/ready" {
        return Destination::Local;
    }
    if let Some((_, service)) = ROUTES.iter().find(|(prefix, _)| under(path, prefix)) {
        return Destination::Service(service);
    }
    if under(path, "/api") || path == "/metrics" {
        // Each process's metrics are scraped from it directly, not through the public port.
        return Destination::NotFound;
    }
    Destination::Service(WEB_SERVICE)
}

/// Every service the table names, the web app's included, once each.
pub fn services() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = ROUTES.iter().map(|(_, service)| *service).collect();
    names.push(WEB_SERVICE);
    names.sort_unstable();
    names.dedup();
    names
}

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::{openapi, targets};

    #[test]
    fn internal_paths_are_never_routed() {
        for path in ["/internal", "/internal/", "/internal/catalog/reservations"] {
            assert_eq!(destination(path), Destination::NotFound, "{path}");
        }
    }

    #[test]
    fn prefixes_match_whole_segments() {
        assert_eq!(
            destination("/api/products/42"),
            Destination::Service("catalog")
        );
        assert_eq!(destination("/api/productsx"), Destination::NotFound);
        assert_eq!(destination("/api/nothing"), Destination::NotFound);
        assert_eq!(
            destination("/products/42"),
            Destination::Service(WEB_SERVICE)
        );
        assert_eq!(destination("/"), Destination::Service(WEB_SERVICE));
        assert_eq!(destination("/ready"), Destination::Local);
    }

    /// Every public path of the monolith has a service whose target really serves it (GraphQL
    /// excepted, see below): the table cannot drift from the code.
    #[test]
    fn every_documented_path_goes_to_a_target_that_serves_it() {
        let all = openapi("all").unwrap();
        let targets: Vec<&str> = targets().iter().map(|t| t.name).collect();
        for path in all.paths.paths.keys() {
            match destination(path) {
                Destination::Local => assert!(["/health", "/ready"].contains(&path.as_str())),
                Destination::NotFound => assert_eq!(path, "/metrics", "{path} has no service"),
                Destination::Service(service) if targets.contains(&service) => {
                    let served = openapi(service).unwrap();
                    assert!(
                        served.paths.paths.contains_key(path),
                        "{path} routed to {service}, which lacks it"
                    );
                }
                // GraphQL alone has no target of its own: a monolith answers it, or the
                // gateway hosts it over the services' internal ports (ADR 0035).
                Destination::Service(service) => {
                    assert_eq!(
                        service, "graphql",
                        "{path} routed to {service}, not a target"
                    )
                }
            }
        }
    }
}
