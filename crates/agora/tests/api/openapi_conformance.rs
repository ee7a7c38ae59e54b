//! What the OpenAPI document promises beyond completeness (ADR 0017): links that stateful
//! testers can follow, and list items that match their schema under `fields=`. The request
//! schemas' rules are checked against the server in `request_rules`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::{spawn_app, Backend};

/// Stateful testers follow links: each must name an operation of the document by a unique
/// `operationId` (spelled as OpenAPI spells it) and pass only parameters that operation takes.
#[test]
fn links_name_operations_and_their_parameters() {
    let doc = serde_json::to_value(agora::modules::openapi("all").unwrap()).unwrap();
    let mut operations: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            let params = operation["parameters"].as_array().into_iter().flatten();
            let names = params
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            assert!(operations.insert(id.clone(), names).is_none(), "{id} twice");
        }
    }
    let mut links = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for response in operation["responses"].as_object().unwrap().values() {
                for (name, link) in response["links"].as_object().into_iter().flatten() {
                    assert!(link.get("operation_id").is_none(), "{name}: {link}");
                    let target = link["operationId"].as_str().unwrap();
                    let params = operations
                        .get(target)
                        .unwrap_or_else(|| panic!("{name} names no operation: {target}"));
                    for param in link["parameters"].as_object().unwrap().keys() {
                        assert!(params.contains(param), "{name}: {target} has no {param}");
                    }
                    links += 1;
                }
            }
        }
    }
    for target in [
        "get_product",
        "update_product",
        "get_flag",
        "delete_flag",
        "get_user",
    ] {
        assert!(doc
            .to_string()
            .contains(&format!("\"operationId\":\"{target}\"")));
    }
    assert!(links >= 15, "only {links} links");
}

/// With `fields=`, a list answers only the selected fields and the item's identity, and the
/// document's page schemas require no more than that (the resources' own schemas keep every
/// property required).
#[tokio::test]
async fn list_items_under_fields_match_the_document() {
    let doc = serde_json::to_value(agora::modules::openapi("all").unwrap()).unwrap();
    let schemas = &doc["components"]["schemas"];
    for (page, identity) in [
        ("Paginated_Product", "id"),
        ("Paginated_User", "id"),
        ("Paginated_FeatureFlag", "key"),
        ("Paginated_AuditEntry", "id"),
        ("Paginated_Mail", "id"),
    ] {
        let item = &schemas[page]["properties"]["data"]["items"];
        assert_eq!(item["required"], serde_json::json!([identity]), "{page}");
    }
    assert!(schemas["Product"]["required"].as_array().unwrap().len() > 5);

    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin_token().await;
    let flag = serde_json::json!({"key": "fields-check", "enabled": true, "rolloutPercent": 5});
    let created = app.post("/api/admin/flags", Some(&admin), &flag).await;
    assert_eq!(created.status(), 201);
    for (path, selected, identity) in [
        ("/api/admin/flags?fields=enabled", "enabled", "key"),
        ("/api/admin/users?fields=email", "email", "id"),
    ] {
        let page: Value = app.get_as(&admin, path).await.json().await.unwrap();
        let items = page["data"].as_array().unwrap();
        assert!(!items.is_empty(), "{path}");
        for item in items {
            let keys: BTreeSet<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, BTreeSet::from([identity, selected]), "{path}");
        }
    }
    app.shutdown().await.unwrap();
}
