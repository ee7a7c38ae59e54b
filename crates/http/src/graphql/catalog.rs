//! Catalog's part of the schema: products and categories, over the catalog use cases.

use agora_domain::catalog::{
    Category as DomainCategory, Money as DomainMoney, Product as DomainProduct,
};
use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{
    failure, list_complexity,
    loaders::{load_error, Categories},
    page_request, parse_id,
    ports::ProductsQuery,
    scope, service, services, GqlResult, Loader, PageMeta,
};

/// An amount in minor units and its currency.
#[derive(SimpleObject, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Money {
    amount: i64,
    currency: String,
}

impl From<DomainMoney> for Money {
    fn from(m: DomainMoney) -> Self {
        Self {
            amount: m.amount,
            currency: m.currency.code().to_owned(),
        }
    }
}

/// A product category.
#[derive(SimpleObject, Clone, Debug)]
pub struct Category {
    id: ID,
    slug: String,
    name: String,
}

impl From<DomainCategory> for Category {
    fn from(c: DomainCategory) -> Self {
        Self {
            id: ID(c.id.to_string()),
            slug: c.slug,
            name: c.name,
        }
    }
}

/// A product.
pub struct Product(pub DomainProduct);

#[Object]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn sku(&self) -> &str {
        self.0.sku.as_str()
    }
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    async fn description(&self) -> &str {
        self.0.description.as_str()
    }
    async fn price(&self) -> Money {
        self.0.price.into()
    }
    async fn stock(&self) -> u32 {
        self.0.stock
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn category_id(&self) -> Option<ID> {
        self.0.category_id.map(|id| ID(id.to_string()))
    }
    /// Resolved per query level in one batch (DataLoader).
    async fn category(&self, ctx: &Context<'_>) -> GqlResult<Option<Category>> {
        let Some(id) = self.0.category_id else {
            return Ok(None);
        };
        let found = ctx
            .data_unchecked::<Loader<Categories>>()
            .load_one(id)
            .await
            .map_err(load_error)?;
        Ok(found.map(Category::from))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A page of products.
pub struct ProductPage {
    items: Vec<DomainProduct>,
    meta: PageMeta,
}

#[Object]
impl ProductPage {
    async fn items(&self) -> Vec<Product> {
        self.items.iter().cloned().map(Product).collect()
    }
    async fn meta(&self) -> &PageMeta {
        &self.meta
    }
}

/// Catalog's queries.
#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// One product (an inactive one only for admins).
    async fn product(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Product> {
        let catalog = service(&services(ctx).catalog, "catalog")?;
        let product = catalog
            .product(scope(ctx), parse_id(&id)?)
            .await
            .map_err(failure)?;
        Ok(Product(product))
    }

    /// Products, with the REST list's filters and `sort` (`field` or `-field`).
    #[graphql(complexity = "list_complexity(child_complexity, limit)")]
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        page: Option<i32>,
        limit: Option<i32>,
        q: Option<String>,
        category: Option<ID>,
        sort: Option<String>,
    ) -> GqlResult<ProductPage> {
        let catalog = service(&services(ctx).catalog, "catalog")?;
        let request = page_request(page, limit)?;
        let query = ProductsQuery {
            page: request.page,
            limit: request.limit,
            sort,
            q,
            category: category.map(|c| c.0),
        };
        let page = catalog.products(scope(ctx), query).await.map_err(failure)?;
        Ok(ProductPage {
            meta: PageMeta::new(page.total, request),
            items: page.items,
        })
    }

    /// Every category, by name.
    async fn categories(&self, ctx: &Context<'_>) -> GqlResult<Vec<Category>> {
        let catalog = service(&services(ctx).catalog, "catalog")?;
        let categories = catalog.categories(scope(ctx)).await.map_err(failure)?;
        Ok(categories.into_iter().map(Category::from).collect())
    }
}
