-- Failed sign-ins per key (a hash of address and username, or of the
-- username), shared by every process on the database (api/auth.go).
CREATE TABLE login_failures (
	key  TEXT    PRIMARY KEY,
	n    INTEGER NOT NULL,
	last INTEGER NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last);
