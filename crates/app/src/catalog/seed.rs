use agora_domain::catalog::{Category, Currency, Description, Money, Product, ProductName, Sku};
use chrono::{Duration, Utc};
use uuid::Uuid;

use super::Catalog;
use crate::AppError;

/// (slug, name, SKU prefix, nouns, description theme)
const CATEGORIES: &[(&str, &str, &str, &[&str], &str)] = &[
    (
        "kitchen",
        "Kitchen",
        "KIT",
        &[
            "Chef Knife",
            "Cast Iron Skillet",
            "Espresso Grinder",
            "Cutting Board",
            "Pour-Over Kettle",
            "Dutch Oven",
            "Salad Spinner",
            "Spice Rack",
        ],
        "for everyday cooking",
    ),
    (
        "outdoor",
        "Outdoor",
        "OUT",
        &[
            "Hiking Backpack",
            "Trail Tent",
            "Sleeping Bag",
            "Camping Stove",
            "Headlamp",
            "Water Filter",
            "Trekking Poles",
            "Rain Jacket",
        ],
        "built for trails and campsites",
    ),
    (
        "electronics",
        "Electronics",
        "ELE",
        &[
            "Wireless Headphones",
            "Mechanical Keyboard",
            "USB-C Charger",
            "Bluetooth Speaker",
            "E-Reader",
            "Webcam",
            "Portable SSD",
            "Smart Lamp",
        ],
        "for work and play",
    ),
    (
        "books",
        "Books",
        "BOK",
        &[
            "Cookbook",
            "Field Guide",
            "Atlas",
            "Novel",
            "Poetry Collection",
            "Travel Journal",
            "History of Rome",
            "Programming Handbook",
        ],
        "to read and keep",
    ),
    (
        "garden",
        "Garden",
        "GAR",
        &[
            "Pruning Shears",
            "Watering Can",
            "Seed Starter Kit",
            "Garden Hose",
            "Raised Bed",
            "Compost Bin",
            "Trowel Set",
            "Bird Feeder",
        ],
        "for a thriving garden",
    ),
];

const STYLES: &[(&str, &str)] = &[
    (
        "Classic",
        "A timeless design that has proven itself for years.",
    ),
    ("Compact", "Small and light, it fits where others do not."),
    ("Pro", "Made for heavy daily use with premium materials."),
    (
        "Eco",
        "Produced from recycled and responsibly sourced materials.",
    ),
    ("Deluxe", "Every detail refined, with a lifetime warranty."),
];

/// Categories and about 200 products with searchable names and descriptions. Idempotent: does
/// nothing when products exist. Returns (categories ensured, products created).
pub async fn seed_catalog(catalog: &Catalog) -> Result<(usize, usize), AppError> {
    let deps = catalog.deps();
    if deps.products.count().await? > 0 {
        return Ok((CATEGORIES.len(), 0));
    }
    let eur = Currency::parse("EUR", "currency")?;
    let now = Utc::now();
    let mut created = 0usize;
    let mut tx = deps.uow.begin().await?;
    for (c, (slug, name, prefix, nouns, theme)) in CATEGORIES.iter().enumerate() {
        let category = deps
            .categories
            .ensure(
                &mut tx,
                &Category {
                    id: Uuid::now_v7(),
                    slug: (*slug).into(),
                    name: (*name).into(),
                },
            )
            .await?;
        for (n, noun) in nouns.iter().enumerate() {
            for (s, (style, blurb)) in STYLES.iter().enumerate() {
                let i = c * 1000 + n * 10 + s;
                let product = Product {
                    id: Uuid::now_v7(),
                    sku: Sku::parse(&format!("{prefix}-{n:02}{s}"))?,
                    name: ProductName::parse(&format!("{style} {noun}"))?,
                    description: Description::parse(&format!(
                        "{blurb} This {} is {theme}.",
                        noun.to_lowercase()
                    ))?,
                    price: Money::price(((i * 7919) % 20_000 + 499) as i64, eur)?,
                    stock: ((i * 31) % 60) as u32,
                    category_id: Some(category.id),
                    active: true,
                    version: 1,
                    created_at: now - Duration::minutes(created as i64),
                    updated_at: now,
                };
                deps.products.insert(&mut tx, &product).await?;
                created += 1;
            }
        }
    }
    tx.commit().await?;
    Ok((CATEGORIES.len(), created))
}
