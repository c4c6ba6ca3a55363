-- Failed sign-ins per key (a hash of address and username, or of the
-- username), shared by every replica (api/auth.go).
CREATE TABLE login_failures (
	key  text        PRIMARY KEY,
	n    integer     NOT NULL,
	last timestamptz NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last);
