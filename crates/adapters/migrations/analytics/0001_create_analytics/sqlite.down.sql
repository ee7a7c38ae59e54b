DROP TABLE analytics_products_daily;
DROP TABLE analytics_orders_daily;
DROP TABLE analytics_users_daily;
