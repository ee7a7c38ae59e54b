use std::fmt;

/// Static description of a module: what it needs started before it.
#[derive(Debug)]
pub struct ModuleInfo {
    /// Module name.
    pub name: &'static str,
    /// Modules that must be running first.
    pub dependencies: &'static [&'static str],
    /// One line for `agora targets`.
    pub description: &'static str,
}

/// Every module of the binary. `http` is implicit in every target and starts last: it serves the
/// routes the others contributed.
pub const MODULES: &[ModuleInfo] = &[
    ModuleInfo {
        name: "store",
        dependencies: &[],
        description: "relational store (SQLite or PostgreSQL): pool, per-module migrations",
    },
    ModuleInfo {
        name: "platform",
        dependencies: &["store"],
        description: "transactional outbox and its relay, mail (SMTP or embedded mailbox)",
    },
    ModuleInfo {
        name: "identity",
        dependencies: &["store", "platform"],
        description: "users, email verification, login, JWT sessions, roles and tiers, audit",
    },
    ModuleInfo {
        name: "flags",
        dependencies: &["store"],
        description: "feature flags: percentage rollout, targeting, cached evaluation, admin API",
    },
    ModuleInfo {
        name: "catalog",
        dependencies: &["store"],
        description: "products and categories, full-text search, L1/L2 cache",
    },
    ModuleInfo {
        name: "http",
        dependencies: &[],
        description: "HTTP server: module routes, /health, /ready, graceful drain, token checks",
    },
];

/// What `--target` selects.
#[derive(Debug)]
pub struct Target {
    /// Name given to `--target`.
    pub name: &'static str,
    /// Modules asked for; their dependencies come along.
    pub roots: &'static [&'static str],
    /// One line for `agora targets`.
    pub description: &'static str,
}

/// Every target. New bounded contexts add themselves here and to `all`.
pub const TARGETS: &[Target] = &[
    Target {
        name: "all",
        // Modules that need only the store come first, so identity's migrations stay the most
        // recent of a fresh database (what `migrate down --steps 1` reverts).
        roots: &["flags", "catalog", "identity"],
        description: "every module in one process (the monolith)",
    },
    Target {
        name: "identity",
        roots: &["identity"],
        description: "the identity service alone",
    },
    Target {
        name: "catalog",
        roots: &["catalog"],
        description: "the catalog service alone",
    },
];

/// `--target` named nothing we know.
#[derive(Debug, thiserror::Error)]
pub struct UnknownTarget(pub String);

impl fmt::Display for UnknownTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
        write!(
            f,
            "unknown target `{}`; expected one of: {} (see `agora targets`)",
            self.0,
            known.join(", ")
        )
    }
}

fn info(name: &str) -> &'static ModuleInfo {
    MODULES
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("module `{name}` is referenced but not declared in MODULES"))
}

/// The modules a target runs, in start order: dependencies first (depth-first post-order, so the
/// order is deterministic), `http` last.
pub fn resolve(target: &str) -> Result<Vec<&'static str>, UnknownTarget> {
    let target = TARGETS
        .iter()
        .find(|t| t.name == target)
        .ok_or_else(|| UnknownTarget(target.to_owned()))?;
    let mut order = Vec::new();
    for root in target.roots {
        visit(info(root), &mut order, &mut Vec::new());
    }
    order.push("http");
    Ok(order)
}

fn visit(module: &'static ModuleInfo, order: &mut Vec<&'static str>, path: &mut Vec<&'static str>) {
    if order.contains(&module.name) {
        return;
    }
    assert!(
        !path.contains(&module.name),
        "dependency cycle: {} -> {}",
        path.join(" -> "),
        module.name
    );
    path.push(module.name);
    for dependency in module.dependencies {
        visit(info(dependency), order, path);
    }
    path.pop();
    order.push(module.name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_resolves_with_dependencies_before_dependents() {
        for target in TARGETS {
            let order = resolve(target.name).unwrap();
            assert_eq!(order.last(), Some(&"http"));
            for (position, name) in order.iter().enumerate() {
                for dependency in info(name).dependencies {
                    let at = order.iter().position(|m| m == dependency).unwrap();
                    assert!(at < position, "{dependency} must start before {name}");
                }
            }
        }
    }

    #[test]
    fn the_monolith_starts_the_store_first() {
        assert_eq!(
            resolve("all").unwrap(),
            vec!["store", "flags", "catalog", "platform", "identity", "http"]
        );
    }

    #[test]
    fn an_unknown_target_lists_the_known_ones() {
        let message = resolve("billing").unwrap_err().to_string();
        assert!(
            message.contains("`billing`") && message.contains("all, identity"),
            "{message}"
        );
    }
}
