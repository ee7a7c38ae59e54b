//! A product re-priced in another currency after it was put in carts (found by schemathesis:
//! the cart then answered 409 to every read). The cart stays readable and editable; the line
//! shows unavailable and blocks checkout, named, until it is removed.

use serde_json::{json, Value};

use crate::{
    both_backends,
    orders_support::{buyer, checkout, error_code, product, put},
    support::TestApp,
};

async fn a_line_repriced_in_another_currency_is_unavailable_not_an_error(app: TestApp) {
    let admin = app.admin_token().await;
    let (token, _) = buyer(&app).await;
    let kept = product(&app, &admin, 1000, "EUR", 5).await;
    let repriced = product(&app, &admin, 2000, "EUR", 5).await;
    put(&app, &token, &kept, json!(1)).await;
    put(&app, &token, &repriced, json!(2)).await;
    let change = json!({ "version": 1, "price": { "amount": 2500, "currency": "CAD" } });
    let path = format!("/api/products/{repriced}");
    assert_eq!(app.patch(&path, &admin, &change).await.status(), 200);

    let cart = app.get_as(&token, "/api/cart").await;
    assert_eq!(cart.status(), 200);
    let cart: Value = cart.json().await.unwrap();
    assert_eq!(cart["items"][0]["available"], true, "{cart}");
    assert_eq!(cart["items"][1]["available"], false, "{cart}");
    assert_eq!(
        cart["total"],
        json!({ "amount": 1000, "currency": "EUR" }),
        "{cart}"
    );

    let blocked = error_code(checkout(&app, &token, Some("r1"), "").await, 409).await;
    assert_eq!(
        blocked["details"][0]["field"],
        repriced.as_str(),
        "{blocked}"
    );
    let message = blocked["details"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("CAD") && message.contains("EUR"),
        "{message}"
    );

    let removed = app
        .client
        .delete(app.url(&format!("/api/cart/items/{repriced}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    assert_eq!(checkout(&app, &token, Some("r2"), "").await.status(), 201);
}

both_backends!(a_line_repriced_in_another_currency_is_unavailable_not_an_error);
