package pgvector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	pgv "github.com/pgvector/pgvector-go"

	"sotay/handbook"
)

var _ handbook.VectorStore = (*Store)(nil)

const (
	// DefaultMaxConns is the pool size when the DSN sets no pool_max_conns.
	// It is small because the PGlite server used in tests accepts only a
	// few connections; production sets pool_max_conns in the DSN.
	DefaultMaxConns = 2

	// MaxIndexDim is the largest dimension pgvector's HNSW index accepts
	// for the vector type.
	MaxIndexDim = 2000

	// maxDim is the largest dimension of the vector type.
	maxDim = 16000

	// bulkRows is the batch size from which an Upsert into an empty table
	// drops the HNSW index: pgvector's documentation recommends building
	// the index after the initial load, which is much faster than
	// maintaining it row by row.
	bulkRows = 1000

	// efSearch is hnsw.ef_search for every connection: the candidate list
	// size of an HNSW scan. pgvector's default is 40; 100 keeps recall
	// close to 1 for top-k ≤ 20 at a small latency cost.
	efSearch = 100

	// Advisory lock keys: migrations, stamping and index builds are
	// serialised across replicas that start at the same time.
	lockMigrate int64 = 0x50475643_0001
	lockStamp   int64 = 0x50475643_0002
	lockIndex   int64 = 0x50475643_0003
)

// Store is a handbook.VectorStore on PostgreSQL + pgvector. It is safe for
// concurrent use; replicas may share one database.
type Store struct {
	pool   *pgxpool.Pool
	model  string
	dim    int
	schema string // first schema of the DSN's search_path; "" = server default

	// Quoted, schema-qualified names.
	chunks, meta, cache, migrations, hnsw string
}

// Open connects to dsn, applies pending migrations and checks (or, on the
// first Open, stamps) the embedding model and dimension. A store stamped
// with another model or dimension returns an error wrapping
// handbook.ErrConflict; an unreachable database, handbook.ErrUnavailable.
// The caller must Close the store.
func Open(ctx context.Context, dsn, model string, dim int) (*Store, error) {
	s, err := connect(ctx, dsn, model, dim)
	if err != nil {
		return nil, err
	}
	if err := s.stamp(ctx, false); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

// Reset is Open for a rebuild: it deletes every vector and the HNSW index
// and stamps the store with model and dim, whatever it held before. Other
// replicas must be restarted afterwards if the dimension changed. The
// embedding cache is kept (it is keyed by model).
func Reset(ctx context.Context, dsn, model string, dim int) (*Store, error) {
	s, err := connect(ctx, dsn, model, dim)
	if err != nil {
		return nil, err
	}
	if err := s.stamp(ctx, true); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

func connect(ctx context.Context, dsn, model string, dim int) (*Store, error) {
	if model == "" {
		return nil, fmt.Errorf("open pgvector store: empty embedding model: %w", handbook.ErrInvalid)
	}
	if dim <= 0 || dim > maxDim {
		return nil, fmt.Errorf("open pgvector store: dimension %d out of range 1..%d: %w", dim, maxDim, handbook.ErrInvalid)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in parse errors.
		return nil, fmt.Errorf("open pgvector store: parse database url: %w: %w", err, handbook.ErrInvalid)
	}
	if !strings.Contains(dsn, "default_query_exec_mode") {
		// The simple protocol works everywhere: PGlite, PgBouncer in
		// transaction mode, and plain PostgreSQL.
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	// Settings given in the DSN (…&hnsw.ef_search=200) are sent at
	// start-up by pgx and win over these defaults.
	params := cfg.ConnConfig.RuntimeParams
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if params["hnsw.ef_search"] == "" {
			if _, err := c.Exec(ctx, "SET hnsw.ef_search = "+strconv.Itoa(efSearch)); err != nil {
				return err
			}
		}
		if params["hnsw.iterative_scan"] == "" {
			// Iterative index scans (pgvector ≥ 0.8) keep scanning the
			// HNSW graph until enough rows pass the WHERE clause, so a
			// selective filter still yields k results. Older versions
			// reject the setting and behave as before: not an error.
			_, _ = c.Exec(ctx, "SET hnsw.iterative_scan = strict_order")
		}
		return nil
	}
	s := &Store{model: model, dim: dim, schema: firstSchema(cfg.ConnConfig.RuntimeParams["search_path"])}
	s.chunks = s.ident("vector_chunks")
	s.meta = s.ident("vector_meta")
	s.cache = s.ident("embedding_cache")
	s.migrations = s.ident("schema_migrations")
	s.hnsw = s.ident("vector_chunks_embedding_hnsw")
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("open pgvector store", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

// firstSchema returns the first schema named in a search_path value, or ""
// when there is none or it is "$user".
func firstSchema(searchPath string) string {
	first, _, _ := strings.Cut(searchPath, ",")
	first = strings.TrimSpace(first)
	if len(first) >= 2 && first[0] == '"' && first[len(first)-1] == '"' {
		first = strings.ReplaceAll(first[1:len(first)-1], `""`, `"`)
	}
	if first == "$user" {
		return ""
	}
	return first
}

// ident quotes name, qualified with the store's schema. Tables are always
// qualified because some servers (PGlite) ignore a search_path sent at
// connection start-up, and because the DSN's schema must win over the
// session's.
func (s *Store) ident(name string) string {
	if s.schema == "" {
		return pgx.Identifier{name}.Sanitize()
	}
	return pgx.Identifier{s.schema, name}.Sanitize()
}

// Close releases the connections. It always returns nil.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Model returns the embedding model the store is stamped with.
func (s *Store) Model() string { return s.model }

// Dim returns the dimension of the store's vectors.
func (s *Store) Dim() int { return s.dim }

// Ping checks that the database answers; for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	return wrap("ping", s.pool.Ping(ctx))
}

// Cache returns the embedding cache that shares the store's database and
// connections.
func (s *Store) Cache() *Cache { return &Cache{s: s} }

// inTx runs f in a transaction under the advisory lock key, so replicas do
// the same work one after another.
func (s *Store) inTx(ctx context.Context, key int64, f func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if key != 0 {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", key); err != nil {
			return err
		}
	}
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// stamp records model and dimension on the first Open and sets the
// embedding column to vector(dim); later opens compare. With reset, the
// store is emptied and re-stamped instead.
func (s *Store) stamp(ctx context.Context, reset bool) error {
	err := s.inTx(ctx, lockStamp, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT key, value FROM "+s.meta)
		if err != nil {
			return err
		}
		meta, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
			var kv [2]string
			err := r.Scan(&kv[0], &kv[1])
			return kv, err
		})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, kv := range meta {
			got[kv[0]] = kv[1]
		}
		dim := strconv.Itoa(s.dim)
		if len(got) > 0 && !reset {
			if got["model"] != s.model || got["dimension"] != dim {
				return fmt.Errorf("store holds vectors of model %q dimension %s, not %q dimension %d (rebuild the index): %w",
					got["model"], got["dimension"], s.model, s.dim, handbook.ErrConflict)
			}
			return nil
		}
		stmts := []string{
			"DROP INDEX IF EXISTS " + s.hnsw,
			"TRUNCATE " + s.chunks,
			"DELETE FROM " + s.meta,
			// The table is empty, so changing the type rewrites nothing.
			fmt.Sprintf("ALTER TABLE %s ALTER COLUMN embedding TYPE vector(%d)", s.chunks, s.dim),
		}
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, "INSERT INTO "+s.meta+" (key, value) VALUES ('model', $1), ('dimension', $2)", s.model, dim)
		return err
	})
	return wrap("stamp model and dimension", err)
}

// Indexed reports whether the HNSW index exists.
func (s *Store) Indexed(ctx context.Context) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", s.hnsw).Scan(&ok)
	return ok, wrap("check index", err)
}

// BuildIndex creates the HNSW cosine index if it does not exist, then
// refreshes the planner statistics. Call it after a (re)indexing run; until
// then Nearest is exact and slower. Replicas calling it together build it
// once.
func (s *Store) BuildIndex(ctx context.Context) error {
	if s.dim > MaxIndexDim {
		return fmt.Errorf("build hnsw index: dimension %d above pgvector's limit %d: %w", s.dim, MaxIndexDim, handbook.ErrInvalid)
	}
	err := s.inTx(ctx, lockIndex, func(tx pgx.Tx) error {
		// A graph that fits in maintenance_work_mem builds several times
		// faster; 10k bge-m3 vectors need about 60 MB.
		if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE INDEX IF NOT EXISTS "+pgx.Identifier{"vector_chunks_embedding_hnsw"}.Sanitize()+
			" ON "+s.chunks+" USING hnsw (embedding vector_cosine_ops)"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "ANALYZE "+s.chunks)
		return err
	})
	return wrap("build hnsw index", err)
}

// Len returns the number of stored vectors.
func (s *Store) Len(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+s.chunks).Scan(&n)
	return n, wrap("count vectors", err)
}

// chunkCols are the columns Upsert writes, in order.
var chunkCols = []string{"chunk_id", "doc_id", "anchor", "kind", "title", "heading", "text", "field", "field_key",
	"audience", "status", "valid_from", "valid_to", "content_hash", "embedding"}

// casts for the placeholders of chunkCols; explicit so that every query
// mode (simple, exec) resolves the same types.
var chunkCasts = map[string]string{"valid_from": "::date", "valid_to": "::date", "embedding": "::vector"}

// rowsPerStatement keeps one INSERT around 1 MB of SQL text: a vector is
// sent as text, about 11 bytes per dimension.
func (s *Store) rowsPerStatement() int {
	return min(500, max(1, (1<<20)/(11*s.dim+512)))
}

// Upsert adds or replaces vectors by chunk id, in one transaction. Vectors
// must have the store's dimension (handbook.ErrConflict otherwise). A batch
// of bulkRows or more into an empty table first drops the HNSW index; call
// BuildIndex after the load.
func (s *Store) Upsert(ctx context.Context, vs []handbook.Vector) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(vs) == 0 {
		return nil
	}
	// Later vectors win, as in a sequence of single upserts; one INSERT
	// may not touch the same row twice.
	last := make(map[string]int, len(vs))
	for i := range vs {
		v := &vs[i]
		if err := handbook.CheckVector(v.Values); err != nil {
			// PostgreSQL would refuse NaN and infinity, but not zeros,
			// whose cosine distance is NaN.
			return fmt.Errorf("upsert %s: %w", v.Chunk.ID, err)
		}
		if len(v.Values) != s.dim {
			return fmt.Errorf("upsert %s: dimension %d, store has %d: %w", v.Chunk.ID, len(v.Values), s.dim, handbook.ErrConflict)
		}
		last[v.Chunk.ID] = i
	}
	rows := make([]*handbook.Vector, 0, len(last))
	for i := range vs {
		if last[vs[i].Chunk.ID] == i {
			rows = append(rows, &vs[i])
		}
	}
	if len(rows) >= bulkRows {
		if err := s.deferIndex(ctx); err != nil {
			return err
		}
	}
	per := s.rowsPerStatement()
	err := s.inTx(ctx, 0, func(tx pgx.Tx) error {
		for start := 0; start < len(rows); start += per {
			sql, args := s.insertSQL(rows[start:min(start+per, len(rows))])
			if _, err := tx.Exec(ctx, sql, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(fmt.Sprintf("upsert %d vectors", len(rows)), err)
}

// deferIndex drops the HNSW index when the table is empty, in its own short
// transaction so that readers are not blocked for the whole load.
func (s *Store) deferIndex(ctx context.Context) error {
	err := s.inTx(ctx, lockIndex, func(tx pgx.Tx) error {
		var indexed, empty bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL, NOT EXISTS (SELECT 1 FROM "+s.chunks+")", s.hnsw).
			Scan(&indexed, &empty); err != nil {
			return err
		}
		if !indexed || !empty {
			return nil
		}
		_, err := tx.Exec(ctx, "DROP INDEX IF EXISTS "+s.hnsw)
		return err
	})
	return wrap("defer hnsw index", err)
}

func (s *Store) insertSQL(rows []*handbook.Vector) (string, []any) {
	var b strings.Builder
	b.WriteString("INSERT INTO " + s.chunks + " (" + strings.Join(chunkCols, ", ") + ") VALUES ")
	args := make([]any, 0, len(rows)*len(chunkCols))
	for i, v := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		c := &v.Chunk
		args = append(args, c.ID, c.DocID, c.Anchor, string(c.Kind), c.Title, c.Heading, c.Text, c.Field,
			handbook.Fold(c.Field), string(c.Audience), string(c.Status), dateArg(c.ValidFrom), dateArg(c.ValidTo),
			c.Hash(), pgv.NewVector(v.Values))
		for j, col := range chunkCols {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(i*len(chunkCols)+j+1) + chunkCasts[col])
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT (chunk_id) DO UPDATE SET ")
	for j, col := range chunkCols[1:] {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(col + " = EXCLUDED." + col)
	}
	b.WriteString(", updated_at = now()")
	return b.String(), args
}

// dateArg is a date as YYYY-MM-DD, or nil (SQL NULL) when unset.
func dateArg(d handbook.Date) any {
	if !d.IsSet() {
		return nil
	}
	return d.String()
}

// DeleteDocument removes every vector of docID.
func (s *Store) DeleteDocument(ctx context.Context, docID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, "DELETE FROM "+s.chunks+" WHERE doc_id = $1", docID)
	return wrap("delete document", err)
}

// where translates f into SQL conditions with the semantics of
// handbook.Filter.Allows, appending its parameters to args.
func where(f handbook.Filter, args []any) (string, []any) {
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	conds := []string{"status <> " + arg(string(handbook.StatusArchived))}
	if f.Audience != handbook.AudienceInternal {
		conds = append(conds, "audience <> "+arg(string(handbook.AudienceInternal)))
	}
	if len(f.Kinds) > 0 {
		kinds := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			kinds[i] = string(k)
		}
		conds = append(conds, "kind = ANY("+arg(kinds)+"::text[])")
	}
	if f.Field != "" {
		conds = append(conds, "field_key = "+arg(handbook.Fold(f.Field)))
	}
	if len(f.Docs) > 0 {
		conds = append(conds, "doc_id = ANY("+arg(f.Docs)+"::text[])")
	}
	if f.At.IsSet() && !f.AllDates {
		// handbook.ValidityAt: in force on day when from ≤ day < to.
		at := arg(f.At.String()) + "::date"
		conds = append(conds, "(valid_from IS NULL OR valid_from <= "+at+")",
			"(valid_to IS NULL OR valid_to > "+at+")")
	}
	return strings.Join(conds, " AND "), args
}

// Nearest returns up to k chunks closest to q by cosine distance that pass
// f, best first, with Score = 1 - distance (cosine similarity). A query of
// another dimension is handbook.ErrConflict.
func (s *Store) Nearest(ctx context.Context, q []float32, f handbook.Filter, k int) ([]handbook.Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := handbook.CheckVector(q); err != nil {
		return nil, fmt.Errorf("nearest: query %w", err)
	}
	if k <= 0 {
		return nil, nil
	}
	if len(q) != s.dim {
		return nil, fmt.Errorf("query dimension %d, store has %d: %w", len(q), s.dim, handbook.ErrConflict)
	}
	cond, args := where(f, []any{pgv.NewVector(q)})
	args = append(args, k)
	// ORDER BY the distance alone, so that the HNSW index can serve it.
	sql := "SELECT chunk_id, doc_id, anchor, kind, title, heading, field, text, audience, valid_from, valid_to, " +
		"embedding <=> $1::vector AS distance FROM " + s.chunks + " WHERE " + cond +
		" ORDER BY distance LIMIT $" + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap("nearest", err)
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (handbook.Hit, error) {
		var h handbook.Hit
		var kind, audience string
		var from, to pgtype.Date
		var dist float64
		err := r.Scan(&h.ChunkID, &h.DocID, &h.Anchor, &kind, &h.Title, &h.Heading, &h.Field, &h.Text,
			&audience, &from, &to, &dist)
		h.Kind, h.Audience = handbook.Kind(kind), handbook.Audience(audience)
		h.ValidFrom, h.ValidTo = dateOf(from), dateOf(to)
		// Zero vectors are refused on the way in; one stored before that
		// check has no direction, and pgvector returns NaN for it.
		if h.Score = 1 - dist; math.IsNaN(h.Score) {
			h.Score = 0
		}
		return h, err
	})
	if err != nil {
		return nil, wrap("nearest", err)
	}
	return hits, nil
}

func dateOf(d pgtype.Date) handbook.Date {
	if !d.Valid {
		return handbook.Date{}
	}
	return handbook.DateOf(d.Time)
}

// wrap prefixes err with what was attempted and marks errors that mean the
// database is unreachable with handbook.ErrUnavailable.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, handbook.ErrConflict), errors.Is(err, handbook.ErrInvalid), errors.Is(err, handbook.ErrUnavailable):
		return fmt.Errorf("%s: %w", op, err)
	case unavailable(err):
		return fmt.Errorf("%s: %w: %w", op, err, handbook.ErrUnavailable)
	}
	return fmt.Errorf("%s: %w", op, err)
}
