package indexer

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// FileCache is an EmbedCache in an append-only file of binary records (key
// length, dimension, key, float32 values, all little-endian). Only the keys
// and the offsets of their vectors are kept in memory; Get reads the vectors
// from the file. At dimension 1024 a vector is 4 KiB, so holding them all
// would cost as much memory again as the vector store itself (400 MB at 100k
// chunks) in every process that opens the cache, including the server.
//
// Put appends and fsyncs under an exclusive file lock (flock on Unix), so an
// indexing run and a server sharing the data directory can both write; each
// picks up the records the other appended. A torn last record (a crash
// mid-write) is cut off at the next Open, before anything is appended after
// it.
type FileCache struct {
	mu      sync.Mutex
	path    string
	entries map[string]cacheEntry // model + "\x00" + hash
	size    int64                 // bytes of the file already scanned
}

type cacheEntry struct {
	off int64 // offset of the first value
	dim int32
}

const (
	maxCacheKey = 1 << 12
	maxCacheDim = 1 << 16
)

// OpenFileCache indexes the cache at path (a missing file is an empty
// cache) and cuts off a torn tail.
func OpenFileCache(path string) (*FileCache, error) {
	c := &FileCache{path: path, entries: map[string]cacheEntry{}}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open embedding cache: %w", err)
	}
	defer f.Close()
	unlock, err := lockFile(f)
	if err != nil {
		return nil, fmt.Errorf("lock embedding cache: %w", err)
	}
	defer unlock()
	if err := c.scan(f); err != nil {
		return nil, fmt.Errorf("read embedding cache %s: %w", path, err)
	}
	return c, nil
}

// scan indexes the records from c.size to the end of f. Under the file
// lock no other process is writing, so an incomplete record at the end is
// left by a crash: it is truncated, or later records would be misread.
func (c *FileCache) scan(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	end := st.Size()
	if end <= c.size {
		return nil
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, c.size, end-c.size), 1<<16)
	off := c.size
	var hdr [8]byte
	for off < end {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break
		}
		klen, dim := binary.LittleEndian.Uint32(hdr[:4]), binary.LittleEndian.Uint32(hdr[4:])
		if klen == 0 || klen > maxCacheKey || dim == 0 || dim > maxCacheDim {
			break
		}
		rec := int64(8) + int64(klen) + 4*int64(dim)
		if off+rec > end {
			break
		}
		key := make([]byte, klen)
		if _, err := io.ReadFull(r, key); err != nil {
			break
		}
		if _, err := r.Discard(4 * int(dim)); err != nil {
			break
		}
		c.entries[string(key)] = cacheEntry{off: off + 8 + int64(klen), dim: int32(dim)}
		off += rec
	}
	if off < end {
		if err := f.Truncate(off); err != nil {
			return fmt.Errorf("cut torn tail at byte %d: %w", off, err)
		}
	}
	c.size = off
	return nil
}

func appendRecord(buf []byte, key string, vec []float32) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(key)))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(vec)))
	buf = append(buf, key...)
	for _, x := range vec {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
	}
	return buf
}

// Len returns the number of cached vectors.
func (c *FileCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Get returns the cached vectors among hashes, read from the file.
func (c *FileCache) Get(ctx context.Context, model string, hashes []string) (map[string][]float32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]float32{}
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	var buf []byte
	for _, h := range hashes {
		e, ok := c.entries[model+"\x00"+h]
		if !ok {
			continue
		}
		if f == nil {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var err error
			if f, err = os.Open(c.path); err != nil {
				return nil, fmt.Errorf("open embedding cache: %w", err)
			}
		}
		buf = buf[:0]
		buf = append(buf, make([]byte, 4*int(e.dim))...)
		if _, err := f.ReadAt(buf, e.off); err != nil {
			return nil, fmt.Errorf("read embedding cache at byte %d: %w", e.off, err)
		}
		vec := make([]float32, e.dim)
		for i := range vec {
			vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		out[h] = vec
	}
	return out, nil
}

// Put appends vectors to the file and fsyncs it.
func (c *FileCache) Put(ctx context.Context, model string, vecs map[string][]float32) error {
	if len(vecs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	keys := make([]string, 0, len(vecs))
	for h, v := range vecs {
		k := model + "\x00" + h
		if len(k) > maxCacheKey || len(v) == 0 || len(v) > maxCacheDim {
			return fmt.Errorf("embedding cache: cannot store key of %d bytes with %d values", len(k), len(v))
		}
		keys = append(keys, h)
	}
	sort.Strings(keys)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(c.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open embedding cache: %w", err)
	}
	defer f.Close()
	unlock, err := lockFile(f)
	if err != nil {
		return fmt.Errorf("lock embedding cache: %w", err)
	}
	defer unlock()
	// Take in what another process appended since we last looked (and cut
	// a tail it tore), so that our offsets are right.
	if err := c.scan(f); err != nil {
		return fmt.Errorf("read embedding cache %s: %w", c.path, err)
	}
	var buf []byte
	added := make(map[string]cacheEntry, len(keys))
	for _, h := range keys {
		k := model + "\x00" + h
		added[k] = cacheEntry{off: c.size + int64(len(buf)) + 8 + int64(len(k)), dim: int32(len(vecs[h]))}
		buf = appendRecord(buf, k, vecs[h])
	}
	if _, err := f.WriteAt(buf, c.size); err != nil {
		// Nothing is recorded; a partial record is cut at the next scan.
		return fmt.Errorf("write embedding cache: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync embedding cache: %w", err)
	}
	c.size += int64(len(buf))
	for k, e := range added {
		c.entries[k] = e
	}
	return nil
}
