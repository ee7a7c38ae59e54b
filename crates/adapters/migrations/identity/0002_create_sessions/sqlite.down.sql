DROP TABLE audit_log;
DROP TABLE denied_tokens;
DROP TABLE refresh_tokens;
DROP TABLE email_tokens;
