//! Changes to the generated document that `utoipa`'s attributes cannot express, applied by
//! [`crate::openapi::document`] once every module's part is merged.

use utoipa::openapi::{schema::ArrayItems, OpenApi, RefOr, Schema};

/// Makes list items tell the truth about `fields=` (ADR 0017): in the page schema of every
/// operation taking a `fields` parameter, the item requires only its identity
/// ([`crate::paging::IDENTITY_FIELDS`]); the properties stay described. The resource's own schema
/// (`Product`, `User`, …), which single-resource answers use, keeps every property required.
pub(crate) fn partial_list_items(doc: &mut OpenApi) {
    let mut pages = Vec::new();
    for item in doc.paths.paths.values() {
        let operations = [&item.get, &item.post, &item.put, &item.patch, &item.delete];
        for operation in operations.into_iter().flatten() {
            let selects_fields = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| p.name == "fields");
            let page_ref = operation
                .responses
                .responses
                .get("200")
                .and_then(|r| match r {
                    RefOr::T(response) => response.content.get("application/json"),
                    RefOr::Ref(_) => None,
                });
            if let (true, Some(content)) = (selects_fields, page_ref) {
                if let Some(RefOr::Ref(reference)) = &content.schema {
                    let name = reference
                        .ref_location
                        .rsplit('/')
                        .next()
                        .unwrap_or_default();
                    pages.push(name.to_owned());
                }
            }
        }
    }
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in pages {
        let Some(RefOr::T(Schema::Object(page))) = components.schemas.get_mut(&name) else {
            panic!("list page schema {name} is not an inline object");
        };
        let Some(RefOr::T(Schema::Array(data))) = page.properties.get_mut("data") else {
            panic!("list page schema {name} has no `data` array");
        };
        let ArrayItems::RefOrSchema(items) = &mut data.items else {
            panic!("list page schema {name} has no item schema");
        };
        let RefOr::T(Schema::Object(item)) = items.as_mut() else {
            panic!("the items of {name} are not an inline object");
        };
        item.required
            .retain(|field| crate::paging::IDENTITY_FIELDS.contains(&field.as_str()));
        let note = "With `fields=`, only the selected properties and the identity are present.";
        item.description = Some(match item.description.take() {
            Some(text) => format!("{text} {note}"),
            None => note.to_owned(),
        });
    }
}

/// `utoipa` 5.5 serialises a response link's fields in snake case (`operation_id`,
/// `operation_ref`, `request_body`), which OpenAPI does not know, so tools ignore the link (and
/// validators reject it). This moves them to the names the specification gives them.
pub(crate) fn spec_named_links(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                for link in response.links.values_mut() {
                    let RefOr::T(link) = link else { continue };
                    let extensions = link.extensions.get_or_insert_with(Default::default);
                    for (name, value) in [
                        ("operationId", std::mem::take(&mut link.operation_id)),
                        ("operationRef", std::mem::take(&mut link.operation_ref)),
                    ] {
                        if !value.is_empty() {
                            extensions.insert(name.to_owned(), value.into());
                        }
                    }
                    if let Some(body) = link.request_body.take() {
                        extensions.insert("requestBody".to_owned(), body);
                    }
                }
            }
        }
    }
}
