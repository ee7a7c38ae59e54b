use agora_domain::catalog::{Category, Product};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Money in minor units of an ISO 4217 currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Money, example = json!({ "amount": 1999, "currency": "EUR" }))]
pub struct MoneyDto {
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// A product as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Product)]
pub struct ProductDto {
    id: Uuid,
    sku: String,
    name: String,
    description: String,
    price: MoneyDto,
    stock: u32,
    category_id: Option<Uuid>,
    active: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Product> for ProductDto {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id,
            sku: p.sku.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            price: MoneyDto {
                amount: p.price.amount,
                currency: p.price.currency.code().to_owned(),
            },
            stock: p.stock,
            category_id: p.category_id,
            active: p.active,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Fields of a product that `fields=` may select.
pub(super) const PRODUCT_FIELDS: &[&str] = &[
    "id",
    "sku",
    "name",
    "description",
    "price",
    "stock",
    "categoryId",
    "active",
    "version",
    "createdAt",
    "updatedAt",
];

/// A product category.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Category)]
pub(super) struct CategoryDto {
    id: Uuid,
    slug: String,
    name: String,
}

impl From<Category> for CategoryDto {
    fn from(c: Category) -> Self {
        Self {
            id: c.id,
            slug: c.slug,
            name: c.name,
        }
    }
}

/// A price in a request: minor units and an allowlisted currency.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PriceRequest)]
pub(super) struct PriceBody {
    /// Minor units (cents): 0 to 10^12.
    #[schema(required = true, value_type = i64, minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub amount: Option<i64>,
    #[schema(required = true, schema_with = crate::rules::currency)]
    pub currency: Option<String>,
}

/// `POST /api/products`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = NewProductRequest, example = json!({
    "sku": "KIT-001", "name": "Chef Knife", "description": "Forged steel, 20 cm blade.",
    "price": { "amount": 4999, "currency": "EUR" }, "stock": 12
}))]
pub(super) struct NewProductBody {
    #[schema(required = true, schema_with = crate::rules::sku)]
    pub sku: Option<String>,
    #[schema(required = true, schema_with = crate::rules::product_name)]
    pub name: Option<String>,
    #[schema(schema_with = crate::rules::product_description)]
    pub description: Option<String>,
    #[schema(required = true, value_type = PriceBody)]
    pub price: Option<PriceBody>,
    /// Units in stock (default 0).
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 4_294_967_295_i64)]
    pub stock: Option<i64>,
    /// An existing category's id (400 naming `categoryId` otherwise).
    pub category_id: Option<Uuid>,
}

/// `Some(None)` for an explicit `null`, `None` when absent.
fn explicit_null<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(deserializer).map(Some)
}

/// `PATCH /api/products/{id}`: `version` (the one read) is required; given fields change.
/// `categoryId: null` removes the category; other `null`s leave the field as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ProductPatchRequest, example = json!({ "version": 3, "price": { "amount": 4499 }, "stock": 20 }))]
pub(super) struct ProductPatchBody {
    /// The version read; a stale one is a 409.
    #[schema(required = true, value_type = i64)]
    pub version: Option<i64>,
    #[schema(schema_with = crate::rules::sku_change)]
    pub sku: Option<String>,
    #[schema(schema_with = crate::rules::product_name_change)]
    pub name: Option<String>,
    #[schema(schema_with = crate::rules::product_description)]
    pub description: Option<String>,
    /// A new amount, currency or both.
    #[schema(value_type = Option<PriceChange>)]
    pub price: Option<PriceBody>,
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 4_294_967_295_i64)]
    pub stock: Option<i64>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
}

// Documents `PriceBody` as a change reads it: either part may be left out (`null` too).
/// A new price: amount, currency or both; the part left out stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PriceChange)]
#[allow(dead_code)] // documentation-only
pub(super) struct PriceChange {
    /// Minor units (cents): 0 to 10^12.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    amount: Option<i64>,
    #[schema(schema_with = crate::rules::currency_change)]
    currency: Option<String>,
}

/// Product list filters (the handler reads them from the query map).
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)] // documentation-only
pub(super) struct ProductFilterParams {
    #[param(schema_with = crate::rules::product_search)]
    q: Option<String>,
    /// Only products of this category (id).
    category: Option<Uuid>,
    /// Lowest price in minor units.
    #[param(minimum = 0)]
    min_price: Option<i64>,
    /// Highest price in minor units.
    #[param(minimum = 0)]
    max_price: Option<i64>,
    /// Only products in stock (`true`) or sold out (`false`).
    in_stock: Option<bool>,
}

/// `GET /api/categories`.
#[derive(ToSchema)]
#[allow(dead_code)] // documentation-only: the handler renders the JSON directly
pub(super) struct CategoryList {
    data: Vec<CategoryDto>,
}
