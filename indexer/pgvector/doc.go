// Package pgvector is the handbook.VectorStore on PostgreSQL with the
// pgvector extension, for the scaled setup where several app replicas share
// one database (DESIGN.md, storage and deployment). It also holds Cache, an
// embedding cache in the same database, so replicas never embed a chunk
// another replica has already embedded.
//
// What it does:
//   - embedded migrations (migrations/*.sql), applied at Open in order, one
//     transaction each, recorded in schema_migrations as "pgvector/<file>";
//   - a meta table stamped with the embedding model and dimension on the
//     first Open; a different model or dimension later is handbook.ErrConflict
//     and Reset is the remedy (handbook index -rebuild);
//   - filters of handbook.Filter pushed into the SQL WHERE clause with the
//     same semantics as Filter.Allows, applied before ranking;
//   - multi-row INSERT … ON CONFLICT DO UPDATE batches (no COPY: the PGlite
//     server used in tests does not support COPY FROM STDIN);
//   - an HNSW cosine index built by BuildIndex after the bulk load; a large
//     Upsert into an empty table drops it so the load is not slowed down.
//
// pgx runs in simple-protocol mode unless the DSN sets
// default_query_exec_mode, and the pool holds DefaultMaxConns connections
// unless the DSN sets pool_max_conns. If the DSN sets search_path, the
// store's tables live in its first schema; the vector extension must be
// reachable through the rest of the search_path.
//
// Database errors that mean the server is unreachable wrap
// handbook.ErrUnavailable. The package imports handbook, pgx and pgvector-go;
// it must not import indexer or other backends.
package pgvector
