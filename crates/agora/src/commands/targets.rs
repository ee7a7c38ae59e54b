use crate::modules::{resolve, MODULES, TARGETS};

pub(super) fn print() {
    println!("Targets (agora serve --target NAME):");
    for target in TARGETS {
        let order = resolve(target.name)
            .map(|o| o.join(" → "))
            .unwrap_or_default();
        println!("  {:<10} {}", target.name, target.description);
        println!("  {:<10} starts: {order}", "");
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
