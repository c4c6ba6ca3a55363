-- The next question log id not yet handed out. The server reserves ids in
-- blocks from here and writes its log entries behind, in batches, with
-- the ids it gave (handbook/sqlite/questionlog.go); every process on the
-- database reserves its own blocks, so no two give the same id.
CREATE TABLE question_ids (
	next INTEGER NOT NULL
);
INSERT INTO question_ids (next) SELECT coalesce(max(id), 0) + 1 FROM questions;
