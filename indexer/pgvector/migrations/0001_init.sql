-- Vector store tables (indexer/pgvector). Append-only: a released file is
-- never edited; add 0002_….sql instead (STYLE.md §11).

CREATE EXTENSION IF NOT EXISTS vector;

-- vector_meta stamps the embedding model and dimension on the first Open.
-- Vectors made by another model are not comparable, so a different stamp is
-- a conflict and the remedy is a rebuild (pgvector.Reset).
CREATE TABLE vector_meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);

-- vector_chunks holds one embedding per chunk with the columns the filters of
-- handbook.Filter need, so that filtering happens in SQL before ranking.
-- The embedding column gets its dimension, vector(dim), when the store is
-- stamped; the HNSW index is created by BuildIndex after the bulk load.
CREATE TABLE vector_chunks (
	chunk_id     text PRIMARY KEY,
	doc_id       text NOT NULL,
	anchor       text NOT NULL DEFAULT '',
	kind         text NOT NULL DEFAULT '',
	title        text NOT NULL DEFAULT '',
	heading      text NOT NULL DEFAULT '',
	text         text NOT NULL DEFAULT '',
	field        text NOT NULL DEFAULT '',
	field_key    text NOT NULL DEFAULT '', -- handbook.Fold(field)
	audience     text NOT NULL DEFAULT '',
	status       text NOT NULL DEFAULT '',
	valid_from   date,                     -- NULL: open start
	valid_to     date,                     -- NULL: open end; exclusive
	content_hash text NOT NULL DEFAULT '', -- handbook.Chunk.Hash
	embedding    vector NOT NULL,
	updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX vector_chunks_doc_id ON vector_chunks (doc_id);

-- embedding_cache is shared by every replica: (model, content hash) →
-- embedding, so unchanged chunks are never embedded twice.
CREATE TABLE embedding_cache (
	model      text NOT NULL,
	hash       text NOT NULL,
	embedding  vector NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (model, hash)
);
