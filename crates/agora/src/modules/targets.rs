use std::fmt;

use super::{Context, CONTEXTS};

/// The core module every target starts first: the relational store.
pub const STORE: &str = "store";

/// The core module every target starts last: it serves what the others contributed.
pub const HTTP: &str = "http";

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

/// Every target: `all` (every context, the monolith) and one per standalone context.
pub fn targets() -> Vec<Target> {
    let mut targets = vec![Target {
        name: "all",
        roots: CONTEXTS.iter().map(|c| c.name()).collect(),
        description: "every module in one process (the monolith)".to_owned(),
    }];
    targets.extend(CONTEXTS.iter().filter(|c| c.standalone()).map(|c| Target {
        name: c.name(),
        roots: vec![c.name()],
        description: format!("the {} service alone", c.name()),
    }));
    targets
}

/// `--target` named nothing we know.
#[derive(Debug, thiserror::Error)]
pub struct UnknownTarget(pub String);

impl fmt::Display for UnknownTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = targets().iter().map(|t| t.name).collect();
        write!(
            f,
            "unknown target `{}`; expected one of: {} (see `agora targets`)",
            self.0,
            known.join(", ")
        )
    }
}

/// The registered context called `name`.
pub fn context(name: &str) -> &'static dyn Context {
    *CONTEXTS
        .iter()
        .find(|c| c.name() == name)
        .unwrap_or_else(|| panic!("module `{name}` is referenced but not listed in CONTEXTS"))
}

/// The modules a target runs, in start order: the store, then contexts with dependencies first
/// (depth-first post-order, so the order is deterministic), `http` last.
pub fn resolve(target: &str) -> Result<Vec<&'static str>, UnknownTarget> {
    let target = targets()
        .into_iter()
        .find(|t| t.name == target)
        .ok_or_else(|| UnknownTarget(target.to_owned()))?;
    let mut order = vec![STORE];
    for root in &target.roots {
        visit(context(root), &mut order, &mut Vec::new());
    }
    order.push(HTTP);
    Ok(order)
}

fn visit(
    module: &'static dyn Context,
    order: &mut Vec<&'static str>,
    path: &mut Vec<&'static str>,
) {
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
        visit(context(dependency), order, path);
    }
    path.pop();
    order.push(module.name());
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_target_resolves_with_dependencies_before_dependents() {
        for target in targets() {
            let order = resolve(target.name).unwrap();
            assert_eq!(order.first(), Some(&STORE));
            assert_eq!(order.last(), Some(&HTTP));
            for (position, name) in order.iter().enumerate() {
                if [STORE, HTTP].contains(name) {
                    continue;
                }
                for dependency in context(name).dependencies() {
                    let at = order.iter().position(|m| m == dependency).unwrap();
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
        assert!(!unique.contains(STORE) && !unique.contains(HTTP));
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
