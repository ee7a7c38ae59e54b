use crate::modules::{resolve, targets, Contexts, CONTEXTS};

pub(super) fn print() {
    println!("Targets (agora serve --target NAME):");
    for target in targets() {
        let order = resolve(target.name)
            .map(|o| o.join(" → "))
            .unwrap_or_default();
        println!("  {:<10} {}", target.name, target.description);
        println!("  {:<10} starts: {order}", "");
        let remotes = Contexts::builtin()
            .remotes(target.name)
            .unwrap_or_default()
            .iter()
            .map(|(service, _)| {
                format!("{service} over HTTP (AGORA_{}_URL)", service.to_uppercase())
            })
            .collect::<Vec<_>>();
        if !remotes.is_empty() {
            println!(
                "  {:<10} remote: {} — signed with AGORA_SERVICES__SECRET",
                "",
                remotes.join(", ")
            );
        }
        println!("  {:<10} tokens: {}", "", tokens(target.name));
    }
    println!("\nModules:");
    println!(
        "  {:<10} relational store (SQLite or PostgreSQL): pool, the target's migrations",
        "store"
    );
    println!("  {:<10} depends on: none", "");
    for context in CONTEXTS {
        let deps = match context.dependencies() {
            [] => "store".to_owned(),
            deps => format!("store, {}", deps.join(", ")),
        };
        println!("  {:<10} {}", context.name(), context.description());
        println!("  {:<10} depends on: {deps}", "");
    }
    for stand_in in CONTEXTS.iter().filter_map(|c| c.remote()) {
        println!("  {:<10} {}", stand_in.name(), stand_in.description());
        println!("  {:<10} replaces it in split targets (ADR 0030)", "");
    }
    println!(
        "  {:<10} HTTP server: module routes, /health, /ready, graceful drain",
        "http"
    );
    println!("  {:<10} depends on: every other module of the target", "");
}

/// How a target checks access tokens: identity's own keys, or identity's published ones.
fn tokens(target: &str) -> &'static str {
    if target == crate::modules::GATEWAY {
        return "verified before forwarding, with identity's JWKS (AGORA_IDENTITY_URL, else the \
                first upstream serving identity)";
    }
    if resolve(target).is_ok_and(|order| order.contains(&"identity")) {
        "issued and verified here (identity runs in this target)"
    } else {
        "verified with identity's public keys: its JWKS at AGORA_IDENTITY_URL, or its database when shared"
    }
}
