//! The product list rules: filters, the `q` limit, sorting and relevance.

use agora_domain::{
    catalog::{ProductScope, ProductSort},
    paging::PageRequest,
};
use proptest::prelude::*;

use super::fields;
use crate::catalog::{ProductListInput, MAX_SEARCH_CHARS};

fn input() -> ProductListInput {
    ProductListInput::default()
}

#[test]
fn without_parameters_the_list_is_newest_first_and_unfiltered() {
    let query = input().into_query().unwrap();
    assert_eq!(
        (query.sort, query.descending),
        (ProductSort::CreatedAt, true)
    );
    assert!(query.scopes.is_empty());
    assert_eq!(query.page, PageRequest::default());
}

#[test]
fn every_bad_filter_value_is_reported_at_once() {
    let bad = ProductListInput {
        sort: Some("password_hash".into()),
        q: Some("x".repeat(MAX_SEARCH_CHARS + 1)),
        category: Some("nope".into()),
        min_price: Some("-1".into()),
        max_price: Some("cheap".into()),
        in_stock: Some("maybe".into()),
        ..input()
    };
    assert_eq!(
        fields(bad.into_query().unwrap_err()),
        ["sort", "q", "category", "minPrice", "maxPrice", "inStock"]
    );
}

#[test]
fn a_search_without_a_sort_is_ranked_by_relevance() {
    let query = ProductListInput {
        q: Some("  tent ".into()),
        ..input()
    }
    .into_query()
    .unwrap();
    assert_eq!(
        (query.sort, query.descending),
        (ProductSort::Relevance, false)
    );
    assert_eq!(query.scopes, [ProductScope::Search("tent".into())]);
}

#[test]
fn an_explicit_sort_wins_over_relevance() {
    let query = ProductListInput {
        q: Some("tent".into()),
        sort: Some("-price".into()),
        ..input()
    }
    .into_query()
    .unwrap();
    assert_eq!((query.sort, query.descending), (ProductSort::Price, true));
}

#[test]
fn a_blank_search_is_no_search() {
    let query = ProductListInput {
        q: Some("   ".into()),
        ..input()
    }
    .into_query()
    .unwrap();
    assert!(query.scopes.is_empty());
    assert_eq!(query.sort, ProductSort::CreatedAt);
}

#[test]
fn filters_become_scopes() {
    let category = uuid::Uuid::now_v7();
    let query = ProductListInput {
        category: Some(category.to_string()),
        min_price: Some("100".into()),
        max_price: Some("900".into()),
        in_stock: Some("false".into()),
        sort: Some("name".into()),
        ..input()
    }
    .into_query()
    .unwrap();
    assert_eq!(
        query.scopes,
        [
            ProductScope::InCategory(category),
            ProductScope::PriceAtLeast(100),
            ProductScope::PriceAtMost(900),
            ProductScope::InStock(false),
        ]
    );
    assert_eq!((query.sort, query.descending), (ProductSort::Name, false));
}

proptest! {
    #[test]
    fn search_text_is_accepted_up_to_the_limit_and_rejected_beyond(
        text in "[a-zA-Zäß ]{0,260}"
    ) {
        let trimmed = text.trim();
        let result = ProductListInput { q: Some(text.clone()), ..input() }.into_query();
        if trimmed.chars().count() > MAX_SEARCH_CHARS {
            prop_assert_eq!(fields(result.unwrap_err()), ["q"]);
        } else {
            let searching = result.unwrap().scopes.contains(&ProductScope::Search(trimmed.into()));
            prop_assert_eq!(searching, !trimmed.is_empty());
        }
    }

    #[test]
    fn a_price_bound_is_any_non_negative_integer(amount in any::<i64>()) {
        let result = ProductListInput {
            min_price: Some(amount.to_string()),
            max_price: Some(amount.to_string()),
            ..input()
        }
        .into_query();
        if amount >= 0 {
            prop_assert_eq!(
                result.unwrap().scopes,
                [ProductScope::PriceAtLeast(amount), ProductScope::PriceAtMost(amount)]
            );
        } else {
            prop_assert_eq!(fields(result.unwrap_err()), ["minPrice", "maxPrice"]);
        }
    }

    #[test]
    fn only_the_documented_fields_sort(name in "-?[a-zA-Z_]{1,12}") {
        let result = ProductListInput { sort: Some(name.clone()), ..input() }.into_query();
        let field = name.trim_start_matches('-');
        prop_assert_eq!(
            result.is_ok(),
            crate::catalog::PRODUCT_SORT_FIELDS.contains(&field)
        );
    }
}
