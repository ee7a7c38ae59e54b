use std::fmt;

use agora_adapters::store::migrations::Migration;
use agora_http::openapi::Document;

use super::{Context, CONTEXTS};

/// The core module every target starts first: the relational store.
pub const STORE: &str = "store";

/// The core module every target starts last: it serves what the others contributed.
pub const HTTP: &str = "http";

/// The core module of the `gateway` target: the public port in front of the services. It runs
/// alone (with the HTTP server): no store, no bounded context (ADR 0032).
pub const GATEWAY: &str = "gateway";

/// What `--target` selects.
#[derive(Debug, Clone)]
pub struct Target {
    /// Name given to `--target`.
    pub name: &'static str,
    /// Contexts asked for; their dependencies come along.
    pub roots: Vec<&'static str>,
    /// One line for `agora targets`.
    pub description: String,
}

/// The bounded contexts one binary knows: [`CONTEXTS`], plus any an embedder (a test) adds.
#[derive(Clone)]
pub struct Contexts(Vec<&'static dyn Context>);

impl Contexts {
    /// The binary's own contexts.
    pub fn builtin() -> Self {
        Self(CONTEXTS.to_vec())
    }

    /// These and `extra` (appended, so they start after the built-in ones).
    pub fn with(mut self, extra: impl IntoIterator<Item = &'static dyn Context>) -> Self {
        self.0.extend(extra);
        self
    }

    /// Every target: `all` (every context, the monolith) and one per standalone context.
    pub fn targets(&self) -> Vec<Target> {
        let mut targets = vec![Target {
            name: "all",
            roots: self.0.iter().map(|c| c.name()).collect(),
            description: "every module in one process (the monolith)".to_owned(),
        }];
        targets.extend(self.0.iter().filter(|c| c.standalone()).map(|c| Target {
            name: c.name(),
            roots: vec![c.name()],
            description: format!("the {} service alone", c.name()),
        }));
        targets.push(Target {
            name: GATEWAY,
            roots: Vec::new(),
            description: "the public port: routes to the services, verifies tokens, rate-limits, \
                          hosts /graphql over the services (no database)"
                .to_owned(),
        });
        targets
    }

    /// The context called `name` (a listed one, or a listed one's remote stand-in).
    pub fn get(&self, name: &str) -> &'static dyn Context {
        self.0
            .iter()
            .copied()
            .chain(self.0.iter().filter_map(|c| c.remote()))
            .find(|c| c.name() == name)
            .unwrap_or_else(|| panic!("module `{name}` is referenced but not listed in CONTEXTS"))
    }

    /// The services a target reaches over HTTP instead of running them: `(context, stand-in)`.
    pub fn remotes(
        &self,
        target: &str,
    ) -> Result<Vec<(&'static str, &'static str)>, UnknownTarget> {
        let order = self.resolve(target)?;
        Ok(self
            .0
            .iter()
            .filter_map(|c| c.remote().map(|r| (c.name(), r.name())))
            .filter(|(_, stand_in)| order.contains(stand_in))
            .collect())
    }

    /// The modules a target runs, in start order: the store, then contexts with dependencies
    /// first (depth-first post-order, so the order is deterministic), `http` last.
    pub fn resolve(&self, target: &str) -> Result<Vec<&'static str>, UnknownTarget> {
        let targets = self.targets();
        let Some(target) = targets.iter().find(|t| t.name == target) else {
            return Err(UnknownTarget {
                name: target.to_owned(),
                known: targets.iter().map(|t| t.name).collect(),
            });
        };
        if target.name == GATEWAY {
            return Ok(vec![GATEWAY, HTTP]);
        }
        let mut order = vec![STORE];
        // A split target runs its roots; any other context that has a remote stand-in is a
        // service of its own, reached over HTTP (ADR 0030). The monolith runs everything.
        let split = target.name != "all";
        for root in &target.roots {
            self.visit(
                self.get(root),
                &mut order,
                &mut Vec::new(),
                split,
                &target.roots,
            );
        }
        order.push(HTTP);
        Ok(order)
    }

    fn visit(
        &self,
        module: &'static dyn Context,
        order: &mut Vec<&'static str>,
        path: &mut Vec<&'static str>,
        split: bool,
        roots: &[&'static str],
    ) {
        let module = match module.remote() {
            Some(stand_in) if split && !roots.contains(&module.name()) => stand_in,
            _ => module,
        };
        if order.contains(&module.name()) {
            return;
        }
        assert!(
            !path.contains(&module.name()),
            "dependency cycle: {} -> {}",
            path.join(" -> "),
            module.name()
        );
        path.push(module.name());
        for dependency in module.dependencies() {
            self.visit(self.get(dependency), order, path, split, roots);
        }
        path.pop();
        order.push(module.name());
    }

    /// The migrations of the contexts in `modules` (a target's start order), in that order.
    pub fn migrations_of(&self, modules: &[&str]) -> Vec<&'static Migration> {
        modules
            .iter()
            .filter(|name| ![STORE, HTTP, GATEWAY].contains(name))
            .flat_map(|name| self.get(name).migrations())
            .collect()
    }

    /// The OpenAPI document of everything `target` serves (`all`: the whole API).
    pub fn openapi(&self, target: &str) -> Result<Document, UnknownTarget> {
        let modules = self.resolve(target)?;
        Ok(agora_http::openapi::document(
            modules
                .iter()
                .filter(|name| ![STORE, HTTP, GATEWAY].contains(name))
                .map(|name| self.get(name).openapi()),
        ))
    }
}

/// Every target of the binary's own contexts.
pub fn targets() -> Vec<Target> {
    Contexts::builtin().targets()
}

/// The modules a target of the built-in contexts runs, in start order.
pub fn resolve(target: &str) -> Result<Vec<&'static str>, UnknownTarget> {
    Contexts::builtin().resolve(target)
}

/// The built-in context called `name`.
pub fn context(name: &str) -> &'static dyn Context {
    Contexts::builtin().get(name)
}

/// `--target` named nothing we know.
#[derive(Debug, thiserror::Error)]
pub struct UnknownTarget {
    /// What was asked for.
    pub name: String,
    /// What exists.
    pub known: Vec<&'static str>,
}

impl fmt::Display for UnknownTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown target `{}`; expected one of: {} (see `agora targets`)",
            self.name,
            self.known.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_target_resolves_with_dependencies_before_dependents() {
        for target in targets() {
            let order = resolve(target.name).unwrap();
            if target.name == GATEWAY {
                assert_eq!(order, [GATEWAY, HTTP], "the gateway opens no database");
                continue;
            }
            assert_eq!(order.first(), Some(&STORE));
            assert_eq!(order.last(), Some(&HTTP));
            for (position, name) in order.iter().enumerate() {
                if [STORE, HTTP].contains(name) {
                    continue;
                }
                for dependency in context(name).dependencies() {
                    // The dependency itself, or (in a split target) its remote stand-in.
                    let stand_in = context(dependency).remote().map(|r| r.name());
                    let at = order
                        .iter()
                        .position(|m| m == dependency || Some(*m) == stand_in)
                        .unwrap_or_else(|| panic!("{name} needs {dependency} in {order:?}"));
                    assert!(at < position, "{dependency} must start before {name}");
                }
            }
        }
    }

    #[test]
    fn the_monolith_runs_every_context_once() {
        let order = resolve("all").unwrap();
        let contexts: BTreeSet<&str> = CONTEXTS.iter().map(|c| c.name()).collect();
        let started: BTreeSet<&str> = order[1..order.len() - 1].iter().copied().collect();
        assert_eq!(started, contexts);
        assert_eq!(order.len(), contexts.len() + 2, "{order:?}");
    }

    #[test]
    fn names_are_unique() {
        let names: Vec<&str> = CONTEXTS.iter().map(|c| c.name()).collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(names.len(), unique.len(), "{names:?}");
        assert!(!unique.contains(STORE) && !unique.contains(HTTP) && !unique.contains(GATEWAY));
    }

    #[test]
    fn split_targets_reach_other_services_through_their_stand_ins_only() {
        let orders = resolve("orders").unwrap();
        assert!(
            orders.contains(&"catalog-remote") && !orders.contains(&"catalog"),
            "{orders:?}"
        );
        assert!(
            orders.contains(&"flags"),
            "flags runs in the orders service: {orders:?}"
        );
        assert!(!orders.contains(&"identity"), "{orders:?}");
        let content = resolve("content").unwrap();
        assert!(
            content.contains(&"identity-remote") && !content.contains(&"identity"),
            "{content:?}"
        );
        let catalog = resolve("catalog").unwrap();
        assert!(catalog.contains(&"catalog") && !catalog.contains(&"catalog-remote"));
        let all = resolve("all").unwrap();
        assert!(!all.iter().any(|m| m.ends_with("-remote")), "{all:?}");
        assert_eq!(
            Contexts::builtin().remotes("orders").unwrap(),
            vec![("catalog", "catalog-remote")]
        );
        // Only what the target runs migrates: no catalog table in the orders database.
        let migrations: Vec<String> = Contexts::builtin()
            .migrations_of(&orders)
            .iter()
            .map(|m| m.id())
            .collect();
        assert!(
            migrations.iter().all(|m| !m.starts_with("catalog/")),
            "{migrations:?}"
        );
    }

    #[test]
    fn an_unknown_target_lists_the_known_ones() {
        let message = resolve("billing").unwrap_err().to_string();
        assert!(
            message.contains("`billing`")
                && message.contains("all, ")
                && message.contains("identity"),
            "{message}"
        );
    }
}
