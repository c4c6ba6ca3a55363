-- Accounts, sessions and API tokens, the question log, feedback, tickets
-- and FAQ promotions (issue 9). Times are Unix milliseconds (UTC), dates
-- are 'YYYY-MM-DD' text, lists are JSON text.

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	username      TEXT    NOT NULL UNIQUE,
	name          TEXT    NOT NULL DEFAULT '',
	role          TEXT    NOT NULL,
	department    TEXT    NOT NULL DEFAULT '',
	password_hash TEXT    NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL
);

CREATE TABLE sessions (
	hash    TEXT    PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE api_tokens (
	id      INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name    TEXT    NOT NULL DEFAULT '',
	hash    TEXT    NOT NULL UNIQUE,
	created INTEGER NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE questions (
	id         INTEGER PRIMARY KEY,
	time       INTEGER NOT NULL,
	source     TEXT    NOT NULL,
	query      TEXT    NOT NULL,
	results    TEXT    NOT NULL DEFAULT '[]',
	hits       INTEGER NOT NULL DEFAULT 0,
	answerable INTEGER NOT NULL DEFAULT 0,
	latency_us INTEGER NOT NULL DEFAULT 0,
	role       TEXT    NOT NULL,
	user_id    INTEGER NOT NULL DEFAULT 0,
	field      TEXT    NOT NULL DEFAULT '',
	department TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX questions_time ON questions (time);

CREATE TABLE feedback (
	id          INTEGER PRIMARY KEY,
	question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
	useful      INTEGER NOT NULL,
	comment     TEXT    NOT NULL DEFAULT '',
	role        TEXT    NOT NULL,
	user_id     INTEGER NOT NULL DEFAULT 0,
	time        INTEGER NOT NULL
);
CREATE INDEX feedback_time ON feedback (time);

CREATE TABLE tickets (
	id          INTEGER PRIMARY KEY,
	question_id INTEGER NOT NULL DEFAULT 0,
	question    TEXT    NOT NULL,
	note        TEXT    NOT NULL DEFAULT '',
	status      TEXT    NOT NULL,
	department  TEXT    NOT NULL DEFAULT '',
	field       TEXT    NOT NULL DEFAULT '',
	assignee_id INTEGER NOT NULL DEFAULT 0,
	assignee    TEXT    NOT NULL DEFAULT '',
	due         TEXT    NOT NULL DEFAULT '',
	answer      TEXT    NOT NULL DEFAULT '',
	citations   TEXT    NOT NULL DEFAULT '[]',
	answered_by TEXT    NOT NULL DEFAULT '',
	faq         TEXT    NOT NULL DEFAULT '',
	created_by  INTEGER NOT NULL DEFAULT 0,
	created     INTEGER NOT NULL,
	updated     INTEGER NOT NULL,
	version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX tickets_status ON tickets (status, due);
CREATE INDEX tickets_department ON tickets (department);
CREATE INDEX tickets_question ON tickets (question_id);

CREATE TABLE ticket_events (
	id        INTEGER PRIMARY KEY,
	ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	time      INTEGER NOT NULL,
	actor     TEXT    NOT NULL DEFAULT '',
	action    TEXT    NOT NULL,
	note      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE promotions (
	id        INTEGER PRIMARY KEY,
	ticket_id INTEGER NOT NULL,
	doc_id    TEXT    NOT NULL,
	editor_id INTEGER NOT NULL DEFAULT 0,
	reviewer  TEXT    NOT NULL DEFAULT '',
	reviewed  TEXT    NOT NULL DEFAULT '',
	expires   TEXT    NOT NULL DEFAULT '',
	created   INTEGER NOT NULL
);
