package indexer

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"sotay/handbook"
)

// EmbedCache stores embeddings keyed by (model, chunk content hash), so that
// unchanged chunks are never embedded twice, across rebuilds and restarts.
type EmbedCache interface {
	Get(ctx context.Context, model string, hashes []string) (map[string][]float32, error)
	Put(ctx context.Context, model string, vecs map[string][]float32) error
}

// VectorSync keeps a vector store in step with the library: documents whose
// hash changed are re-embedded (from the cache when possible), removed ones
// deleted. A manifest of document hashes is written after every batch, so an
// interrupted run resumes where it stopped without re-embedding anything.
type VectorSync struct {
	Store    handbook.VectorStore
	Embedder handbook.Embedder
	Cache    EmbedCache
	// Manifest is the path of the JSON manifest (document id → hash).
	Manifest string
	// Save persists the store after a sync (memvec snapshot); optional.
	Save      func() error
	BatchSize int
}

type embedJob struct {
	doc    *handbook.Document
	chunks []handbook.Chunk
}

// Sync embeds what changed and returns the number of chunks sent to the
// embedder.
func (v *VectorSync) Sync(ctx context.Context, lib *handbook.Library, progress Progress) (int, error) {
	man, err := v.readManifest()
	if err != nil {
		return 0, err
	}
	var removed []string
	for id := range man {
		if _, ok := lib.Docs[id]; !ok {
			removed = append(removed, id)
		}
	}
	sort.Strings(removed)
	for _, id := range removed {
		if err := v.Store.DeleteDocument(ctx, id); err != nil {
			return 0, err
		}
		delete(man, id)
	}
	var jobs []embedJob
	total := 0
	for _, d := range lib.All() {
		if man[d.ID] == d.Hash {
			continue
		}
		cs := handbook.Chunks(d)
		jobs = append(jobs, embedJob{doc: d, chunks: cs})
		total += len(cs)
	}
	batch := v.BatchSize
	if batch <= 0 {
		batch = 64
	}
	embedded, done := 0, 0
	model := v.Embedder.Model()
	// Group documents into batches of about `batch` chunks; each group is
	// embedded, stored and recorded in the manifest before the next.
	for start := 0; start < len(jobs); {
		if err := ctx.Err(); err != nil {
			return embedded, err
		}
		end, n := start, 0
		for end < len(jobs) && (n == 0 || n+len(jobs[end].chunks) <= batch) {
			n += len(jobs[end].chunks)
			end++
		}
		group := jobs[start:end]
		var chunks []handbook.Chunk
		for _, j := range group {
			chunks = append(chunks, j.chunks...)
		}
		vecs, k, err := v.embed(ctx, model, chunks)
		if err != nil {
			return embedded, err
		}
		embedded += k
		for _, j := range group {
			if err := v.Store.DeleteDocument(ctx, j.doc.ID); err != nil {
				return embedded, err
			}
		}
		if err := v.Store.Upsert(ctx, vecs); err != nil {
			return embedded, err
		}
		for _, j := range group {
			man[j.doc.ID] = j.doc.Hash
		}
		if err := v.writeManifest(man); err != nil {
			return embedded, err
		}
		done += len(chunks)
		if progress != nil {
			progress("embed", done, total)
		}
		start = end
	}
	if v.Save != nil && (len(jobs) > 0 || len(removed) > 0) {
		if err := v.Save(); err != nil {
			return embedded, fmt.Errorf("save vector store: %w", err)
		}
	}
	return embedded, nil
}

// embed returns a vector per chunk, from the cache or the embedder, and how
// many chunks the embedder was called for.
func (v *VectorSync) embed(ctx context.Context, model string, chunks []handbook.Chunk) ([]handbook.Vector, int, error) {
	hashes := make([]string, len(chunks))
	for i := range chunks {
		hashes[i] = chunks[i].Hash()
	}
	cached := map[string][]float32{}
	if v.Cache != nil {
		var err error
		if cached, err = v.Cache.Get(ctx, model, hashes); err != nil {
			return nil, 0, fmt.Errorf("read embedding cache: %w", err)
		}
	}
	var texts []string
	var missing []int
	for i, h := range hashes {
		if _, ok := cached[h]; !ok {
			texts = append(texts, chunks[i].EmbeddingText())
			missing = append(missing, i)
		}
	}
	if len(texts) > 0 {
		out, err := v.Embedder.Embed(ctx, texts)
		if err != nil {
			return nil, 0, fmt.Errorf("embed %d chunks: %w", len(texts), err)
		}
		if len(out) != len(texts) {
			return nil, 0, fmt.Errorf("embedder returned %d vectors for %d texts: %w", len(out), len(texts), handbook.ErrUnavailable)
		}
		fresh := map[string][]float32{}
		for j, i := range missing {
			cached[hashes[i]] = out[j]
			fresh[hashes[i]] = out[j]
		}
		if v.Cache != nil {
			if err := v.Cache.Put(ctx, model, fresh); err != nil {
				return nil, 0, fmt.Errorf("write embedding cache: %w", err)
			}
		}
	}
	vecs := make([]handbook.Vector, len(chunks))
	for i := range chunks {
		vecs[i] = handbook.Vector{Chunk: chunks[i], Values: cached[hashes[i]]}
	}
	return vecs, len(texts), nil
}

func (v *VectorSync) readManifest() (map[string]string, error) {
	man := map[string]string{}
	if v.Manifest == "" {
		return man, nil
	}
	b, err := os.ReadFile(v.Manifest)
	if errors.Is(err, os.ErrNotExist) {
		return man, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read vector manifest: %w", err)
	}
	if err := json.Unmarshal(b, &man); err != nil {
		return map[string]string{}, nil // a torn manifest only costs a re-sync from the cache
	}
	return man, nil
}

func (v *VectorSync) writeManifest(man map[string]string) error {
	if v.Manifest == "" {
		return nil
	}
	b, err := json.Marshal(man)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(v.Manifest), 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(v.Manifest, b)
}

// FileCache is an EmbedCache in an append-only file of binary records
// (key length, key, dimension, float32 values, little-endian): Put appends
// and fsyncs, Open replays. A torn last record (crash mid-write) is ignored.
type FileCache struct {
	mu   sync.Mutex
	path string
	data map[string][]float32 // model + "\x00" + hash
}

// OpenFileCache loads the cache at path (a missing file is an empty cache).
func OpenFileCache(path string) (*FileCache, error) {
	c := &FileCache{path: path, data: map[string][]float32{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open embedding cache: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		key, vec, err := readRecord(r)
		if err != nil {
			break // EOF or a torn tail: keep what decoded so far
		}
		c.data[key] = vec
	}
	return c, nil
}

func readRecord(r io.Reader) (string, []float32, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return "", nil, err
	}
	klen, dim := binary.LittleEndian.Uint32(hdr[:4]), binary.LittleEndian.Uint32(hdr[4:])
	if klen > 1<<12 || dim > 1<<16 {
		return "", nil, errors.New("corrupt record")
	}
	buf := make([]byte, int(klen)+4*int(dim))
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", nil, err
	}
	vec := make([]float32, dim)
	for i := range vec {
		vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[int(klen)+4*i:]))
	}
	return string(buf[:klen]), vec, nil
}

func writeRecord(w io.Writer, key string, vec []float32) error {
	buf := make([]byte, 8+len(key)+4*len(vec))
	binary.LittleEndian.PutUint32(buf[:4], uint32(len(key)))
	binary.LittleEndian.PutUint32(buf[4:8], uint32(len(vec)))
	copy(buf[8:], key)
	for i, x := range vec {
		binary.LittleEndian.PutUint32(buf[8+len(key)+4*i:], math.Float32bits(x))
	}
	_, err := w.Write(buf)
	return err
}

// Len returns the number of cached vectors.
func (c *FileCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.data)
}

// Get returns the cached vectors among hashes.
func (c *FileCache) Get(_ context.Context, model string, hashes []string) (map[string][]float32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]float32{}
	for _, h := range hashes {
		if v, ok := c.data[model+"\x00"+h]; ok {
			out[h] = v
		}
	}
	return out, nil
}

// Put appends vectors to the file, then to the in-memory map.
func (c *FileCache) Put(_ context.Context, model string, vecs map[string][]float32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(c.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	keys := make([]string, 0, len(vecs))
	for h := range vecs {
		keys = append(keys, h)
	}
	sort.Strings(keys)
	for _, h := range keys {
		if err := writeRecord(w, model+"\x00"+h, vecs[h]); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, h := range keys {
		c.data[model+"\x00"+h] = vecs[h]
	}
	return nil
}
