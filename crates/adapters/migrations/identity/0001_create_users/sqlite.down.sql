DROP INDEX IF EXISTS users_created_at_idx;
DROP INDEX IF EXISTS users_email_key;
DROP TABLE users;
