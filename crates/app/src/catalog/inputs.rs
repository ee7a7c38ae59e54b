use agora_domain::{
    catalog::{Currency, Description, Money, Product, ProductName, Sku},
    FieldError, ValidationErrors,
};
use uuid::Uuid;

use crate::AppError;

/// `POST /api/products`.
#[derive(Debug, Clone, Default)]
pub struct NewProductInput {
    /// Article number.
    pub sku: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Description (optional).
    pub description: Option<String>,
    /// Price in minor units.
    pub price_amount: Option<i64>,
    /// Price currency.
    pub price_currency: Option<String>,
    /// Units in stock (default 0).
    pub stock: Option<i64>,
    /// Category.
    pub category_id: Option<Uuid>,
}

fn stock(raw: i64) -> Result<u32, FieldError> {
    u32::try_from(raw)
        .map_err(|_| FieldError::new("stock", "Stock must be between 0 and 4294967295"))
}

fn price(
    amount: Option<i64>,
    currency: Option<&str>,
    errors: &mut ValidationErrors,
) -> Option<Money> {
    let amount = amount.or_else(|| {
        errors.push(FieldError::new("price.amount", "Price amount is required"));
        None
    });
    let currency = match currency {
        Some(code) => errors.check(Currency::parse(code, "price.currency")),
        None => {
            errors.push(FieldError::new(
                "price.currency",
                "Price currency is required",
            ));
            None
        }
    };
    errors.check(Money::price(amount?, currency?))
}

impl NewProductInput {
    /// Every rule at once; a valid input becomes a new, active product at version 1.
    pub fn validate(self) -> Result<Product, AppError> {
        let mut errors = ValidationErrors::new();
        let sku = errors.check(Sku::parse(self.sku.as_deref().unwrap_or_default()));
        let name = errors.check(ProductName::parse(self.name.as_deref().unwrap_or_default()));
        let description = errors.check(Description::parse(
            self.description.as_deref().unwrap_or_default(),
        ));
        let price = price(
            self.price_amount,
            self.price_currency.as_deref(),
            &mut errors,
        );
        let stock = errors.check(stock(self.stock.unwrap_or(0)));
        errors.into_result()?;
        let (Some(sku), Some(name), Some(description), Some(price), Some(stock)) =
            (sku, name, description, price, stock)
        else {
            unreachable!("validation passed");
        };
        let now = agora_domain::timestamp_now();
        Ok(Product {
            id: Uuid::now_v7(),
            sku,
            name,
            description,
            price,
            stock,
            category_id: self.category_id,
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }
}

/// `PATCH /api/products/{id}`: `version` is required; other fields change when given.
#[derive(Debug, Clone, Default)]
pub struct ProductChange {
    /// The version the client read.
    pub version: Option<i64>,
    /// New SKU.
    pub sku: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New price amount (with or without a new currency).
    pub price_amount: Option<i64>,
    /// New price currency.
    pub price_currency: Option<String>,
    /// New stock.
    pub stock: Option<i64>,
    /// New category (`Some(None)` removes it).
    pub category_id: Option<Option<Uuid>>,
    /// Reactivate or deactivate.
    pub active: Option<bool>,
}

impl ProductChange {
    pub(super) fn expected_version(&self) -> Result<i64, AppError> {
        self.version
            .ok_or_else(|| FieldError::new("version", "Version is required").into())
    }

    /// The product after the change, version incremented; every broken rule reported.
    pub(super) fn apply(self, current: &Product) -> Result<Product, AppError> {
        let mut errors = ValidationErrors::new();
        let mut next = current.clone();
        if let Some(sku) = self
            .sku
            .as_deref()
            .and_then(|s| errors.check(Sku::parse(s)))
        {
            next.sku = sku;
        }
        if let Some(name) = self
            .name
            .as_deref()
            .and_then(|n| errors.check(ProductName::parse(n)))
        {
            next.name = name;
        }
        if let Some(text) = self
            .description
            .as_deref()
            .and_then(|d| errors.check(Description::parse(d)))
        {
            next.description = text;
        }
        if self.price_amount.is_some() || self.price_currency.is_some() {
            let amount = self.price_amount.unwrap_or(current.price.amount);
            let code = self
                .price_currency
                .unwrap_or_else(|| current.price.currency.code().to_owned());
            if let Some(money) = price(Some(amount), Some(&code), &mut errors) {
                next.price = money;
            }
        }
        if let Some(units) = self.stock.and_then(|s| errors.check(stock(s))) {
            next.stock = units;
        }
        if let Some(category) = self.category_id {
            next.category_id = category;
        }
        if let Some(active) = self.active {
            next.active = active;
        }
        errors.into_result()?;
        next.version = current.version + 1;
        next.updated_at = agora_domain::timestamp_now();
        Ok(next)
    }
}
