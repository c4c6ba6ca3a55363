-- Drafts of administrative documents (issue 7), kept for a day so that a
-- draft can be opened again and downloaded; JSON text, times in Unix
-- milliseconds (UTC).

CREATE TABLE drafts (
	id      TEXT    PRIMARY KEY,
	draft   TEXT    NOT NULL,
	request TEXT    NOT NULL,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
);
CREATE INDEX drafts_expires ON drafts (expires);
