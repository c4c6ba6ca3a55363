-- Drafts of administrative documents (issue 7), kept for a day so that a
-- draft made on one replica can be opened and downloaded on another; the
-- same table as handbook/sqlite in the PostgreSQL dialect.

CREATE TABLE drafts (
	id      text        PRIMARY KEY,
	draft   text        NOT NULL,
	request text        NOT NULL,
	created timestamptz NOT NULL,
	expires timestamptz NOT NULL
);
CREATE INDEX drafts_expires ON drafts (expires);
