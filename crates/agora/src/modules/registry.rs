use std::{
    any::{type_name, Any, TypeId},
    collections::HashMap,
    sync::Arc,
};

/// Services published by started modules for the modules that depend on them, keyed by type.
/// Dependency order guarantees a provider started before its consumers, so a missing entry is a
/// wiring bug and reported as such. Cloning is cheap and shares the services (tests and commands
/// keep a clone after the app moved into its serve loop).
#[derive(Default, Clone)]
pub struct Registry {
    services: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl Registry {
    /// Publishes a service (replacing one of the same type).
    pub fn provide<T: Any + Send + Sync + Clone>(&mut self, service: T) {
        self.services.insert(TypeId::of::<T>(), Arc::new(service));
    }

    /// A clone of a published service.
    pub fn get<T: Any + Send + Sync + Clone>(&self) -> anyhow::Result<T> {
        self.services
            .get(&TypeId::of::<T>())
            .and_then(|service| service.downcast_ref::<T>())
            .cloned()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no started module provides {}; check the module's declared dependencies",
                    type_name::<T>()
                )
            })
    }

    /// Appends to a list-valued service (e.g. the routers modules contribute).
    pub fn append<T: Any + Send + Sync + Clone>(&mut self, item: T) {
        let mut items: Vec<T> = self.get().unwrap_or_default();
        items.push(item);
        self.provide(items);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_found_by_type_and_missing_ones_explain_themselves() {
        let mut registry = Registry::default();
        registry.provide(42_u32);
        registry.append("a");
        registry.append("b");
        assert_eq!(registry.get::<u32>().unwrap(), 42);
        assert_eq!(registry.get::<Vec<&str>>().unwrap(), vec!["a", "b"]);
        let err = registry.get::<String>().unwrap_err().to_string();
        assert!(err.contains("String"), "{err}");
    }
}
