-- Accounts, sessions and API tokens, the question log, feedback, tickets
-- and FAQ promotions (issue 9); the same tables as handbook/sqlite in the
-- PostgreSQL dialect. Lists are JSON text.

CREATE TABLE users (
	id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username      text        NOT NULL UNIQUE,
	name          text        NOT NULL DEFAULT '',
	role          text        NOT NULL,
	department    text        NOT NULL DEFAULT '',
	password_hash text        NOT NULL DEFAULT '',
	disabled      boolean     NOT NULL DEFAULT false,
	created       timestamptz NOT NULL
);

CREATE TABLE sessions (
	hash    text        PRIMARY KEY,
	user_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created timestamptz NOT NULL,
	expires timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE api_tokens (
	id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name    text        NOT NULL DEFAULT '',
	hash    text        NOT NULL UNIQUE,
	created timestamptz NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE questions (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time       timestamptz NOT NULL,
	source     text        NOT NULL,
	query      text        NOT NULL,
	results    text        NOT NULL DEFAULT '[]',
	hits       integer     NOT NULL DEFAULT 0,
	answerable boolean     NOT NULL DEFAULT false,
	latency_us bigint      NOT NULL DEFAULT 0,
	role       text        NOT NULL,
	user_id    bigint      NOT NULL DEFAULT 0,
	field      text        NOT NULL DEFAULT '',
	department text        NOT NULL DEFAULT ''
);
CREATE INDEX questions_time ON questions (time);

CREATE TABLE feedback (
	id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	question_id bigint      NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
	useful      boolean     NOT NULL,
	comment     text        NOT NULL DEFAULT '',
	role        text        NOT NULL,
	user_id     bigint      NOT NULL DEFAULT 0,
	time        timestamptz NOT NULL
);
CREATE INDEX feedback_time ON feedback (time);

CREATE TABLE tickets (
	id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	question_id bigint      NOT NULL DEFAULT 0,
	question    text        NOT NULL,
	note        text        NOT NULL DEFAULT '',
	status      text        NOT NULL,
	department  text        NOT NULL DEFAULT '',
	field       text        NOT NULL DEFAULT '',
	assignee_id bigint      NOT NULL DEFAULT 0,
	assignee    text        NOT NULL DEFAULT '',
	due         date,
	answer      text        NOT NULL DEFAULT '',
	citations   text        NOT NULL DEFAULT '[]',
	answered_by text        NOT NULL DEFAULT '',
	faq         text        NOT NULL DEFAULT '',
	created_by  bigint      NOT NULL DEFAULT 0,
	created     timestamptz NOT NULL,
	updated     timestamptz NOT NULL,
	version     integer     NOT NULL DEFAULT 1
);
CREATE INDEX tickets_status ON tickets (status, due);
CREATE INDEX tickets_department ON tickets (department);
CREATE INDEX tickets_question ON tickets (question_id);

CREATE TABLE ticket_events (
	id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ticket_id bigint      NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	time      timestamptz NOT NULL,
	actor     text        NOT NULL DEFAULT '',
	action    text        NOT NULL,
	note      text        NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE promotions (
	id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ticket_id bigint      NOT NULL,
	doc_id    text        NOT NULL,
	editor_id bigint      NOT NULL DEFAULT 0,
	reviewer  text        NOT NULL DEFAULT '',
	reviewed  date,
	expires   date,
	created   timestamptz NOT NULL
);
