use std::sync::Arc;

use agora_app::{catalog::Catalog, content::Content, identity::Identity, orders::Orders};
use agora_http::graphql::{GraphqlLimits, GraphqlServices};
use async_trait::async_trait;

use super::{Context, Module, Registry};
use crate::config::{Config, ConfigError, Environment};

/// GraphQL at `POST /graphql`: one schema over the use cases of every context this process runs
/// (a context of another process answers `unavailable`; a gateway in front of split services
/// hosts the schema over their internal endpoints instead, ADR 0035).
pub struct GraphqlContext;

/// `[graphql]` (`AGORA_GRAPHQL__*`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphqlSettings {
    /// Highest query complexity (each field 1, list fields times their `limit`).
    pub complexity_limit: usize,
    /// Largest query text, in bytes.
    pub max_query_bytes: usize,
    /// Whether introspection answers; unset: on, except with `environment = production`.
    pub introspection: Option<bool>,
}

impl Default for GraphqlSettings {
    fn default() -> Self {
        let limits = GraphqlLimits::default();
        Self {
            complexity_limit: limits.complexity,
            max_query_bytes: limits.max_query_bytes,
            introspection: None,
        }
    }
}

impl Context for GraphqlContext {
    fn name(&self) -> &'static str {
        "graphql"
    }

    fn description(&self) -> &'static str {
        "GraphQL over every context's use cases, with DataLoaders and query limits"
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["identity", "catalog", "orders", "content"]
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        // Not REST: its contract is docs/schema.graphql.
        agora_http::openapi::Document::default()
    }

    fn config_section(&self) -> Option<&'static str> {
        Some("graphql")
    }

    fn check_config(&self, config: &Config) -> Result<(), ConfigError> {
        config.section::<GraphqlSettings>("graphql").map(drop)
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(GraphqlModule {
            limits: limits(config)?,
        }))
    }
}

/// The limits of `[graphql]`, wherever the schema runs (a monolith, or a gateway, ADR 0035).
pub fn limits(config: &Config) -> anyhow::Result<GraphqlLimits> {
    let settings: GraphqlSettings = config.section("graphql")?;
    Ok(GraphqlLimits {
        depth: GraphqlLimits::default().depth,
        complexity: settings.complexity_limit,
        max_query_bytes: settings.max_query_bytes,
        introspection: settings
            .introspection
            .unwrap_or(config.environment != Environment::Production),
    })
}

/// The GraphQL endpoint.
pub struct GraphqlModule {
    limits: GraphqlLimits,
}

#[async_trait]
impl Module for GraphqlModule {
    fn name(&self) -> &'static str {
        "graphql"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let services = in_process(registry);
        let router = agora_http::graphql::router(services, self.limits.clone());
        registry.routes(router.into());
        Ok(())
    }
}

/// The GraphQL ports of the contexts this process runs, answered by their use cases.
pub fn in_process(registry: &Registry) -> GraphqlServices {
    GraphqlServices::in_process(
        registry.get::<Identity>().ok(),
        registry.get::<Catalog>().ok(),
        registry.get::<Orders>().ok(),
        registry.get::<Content>().ok(),
    )
}
