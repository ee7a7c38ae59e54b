DROP TABLE mailbox;
DROP TABLE outbox;
