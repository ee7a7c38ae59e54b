use crate::modules::{resolve, MODULES, TARGETS};

pub(super) fn print() {
    println!("Targets (agora serve --target NAME):");
    for target in TARGETS {
        let order = resolve(target.name)
            .map(|o| o.join(" → "))
            .unwrap_or_default();
        println!("  {:<10} {}", target.name, target.description);
        println!("  {:<10} starts: {order}", "");
        println!("  {:<10} tokens: {}", "", tokens(target.name));
    }
    println!("\nModules:");
    for module in MODULES {
        let deps = if module.name == "http" {
            "every other module of the target".to_owned()
        } else if module.dependencies.is_empty() {
            "none".to_owned()
        } else {
            module.dependencies.join(", ")
        };
        println!("  {:<10} {}", module.name, module.description);
        println!("  {:<10} depends on: {deps}", "");
    }
}

/// How a target checks access tokens: identity's own keys, or identity's published ones.
fn tokens(target: &str) -> &'static str {
    if resolve(target).is_ok_and(|order| order.contains(&"identity")) {
        "issued and verified here (identity runs in this target)"
    } else {
        "verified with identity's public keys: its JWKS at AGORA_IDENTITY_URL, or its database when shared"
    }
}
