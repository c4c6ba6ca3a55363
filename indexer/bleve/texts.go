package bleve

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"sotay/handbook"
)

// The chunks' hit records live in a file of their own next to the bleve
// index, read with pread, not in bleve's stored fields.
//
// Every search reads them for all its candidates (126 at 100,000 chunks):
// the reranker compares the folded text with the question, snippets and
// answers quote the text. As stored fields the text and folded text were
// nine tenths of a document's stored bytes, so each candidate meant
// decompressing a snappy block of both, and the stored region of the
// segments (125 MiB at 100k chunks) was mapped and became resident as
// searches touched it: a fifth of a server's memory (docs/BENCHMARKS.md).
// Read from this file they cost one read per candidate and sit in the page
// cache, which the system reclaims under pressure, instead of in the
// process.
//
// The file only grows. A record holds the chunk's id, what a hit shows and
// the reranker reads, its text and folded text and its validity
// (appendRecord); the chunk's bleve document stores where its record is
// ("tx": offset, length and CRC-32C) and nothing else, so bleve decides
// which records are live, and a replaced chunk's old record is garbage
// until the next full rebuild writes a new index directory. Records are
// written and synced before the bleve batch that names them: a crash
// between the two leaves unnamed garbage, never a document naming a record
// that is not there.
const textsFile = "texts.dat"

type textStore struct {
	f    *os.File
	mu   sync.Mutex // serialises appends
	size int64      // where the next record goes
}

func openTexts(dir string) (*textStore, error) {
	f, err := os.OpenFile(filepath.Join(dir, textsFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open chunk texts: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open chunk texts: %w", err)
	}
	return &textStore{f: f, size: st.Size()}, nil
}

func (s *textStore) Close() error { return s.f.Close() }

// textLoc is where a chunk's record is.
type textLoc struct {
	off int64
	n   int
	crc uint32
}

func (l textLoc) String() string {
	return strconv.FormatInt(l.off, 36) + ":" + strconv.Itoa(l.n) + ":" + strconv.FormatUint(uint64(l.crc), 36)
}

var errTextLoc = errors.New("bad chunk text locator")

// maxRecord bounds a record's length as a locator gives it, so that a bad
// one cannot make a search allocate without limit. Chunks are at most
// MaxChunkRunes long; their record is a few times that at most.
const maxRecord = 1 << 20

func parseTextLoc(s string) (textLoc, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return textLoc{}, errTextLoc
	}
	off, err1 := strconv.ParseInt(parts[0], 36, 64)
	n, err2 := strconv.Atoi(parts[1])
	crc, err3 := strconv.ParseUint(parts[2], 36, 32)
	if err := errors.Join(err1, err2, err3); err != nil || off < 0 || n < 0 || n > maxRecord {
		return textLoc{}, errTextLoc
	}
	return textLoc{off: off, n: n, crc: uint32(crc)}, nil
}

// appendAll writes the hit record of each chunk and syncs the file; it
// returns where each went. On an error nothing written is named anywhere,
// and the next append writes over it.
func (s *textStore) appendAll(chunks []handbook.Chunk) ([]textLoc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	locs := make([]textLoc, len(chunks))
	w := bufio.NewWriterSize(io.NewOffsetWriter(s.f, s.size), 1<<20)
	at := s.size
	var rec []byte
	for i := range chunks {
		rec = appendRecord(rec[:0], &chunks[i])
		locs[i] = textLoc{off: at, n: len(rec), crc: crc32.Checksum(rec, castagnoli)}
		w.Write(rec)
		at += int64(len(rec))
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("write chunk texts: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return nil, fmt.Errorf("sync chunk texts: %w", err)
	}
	s.size = at
	return locs, nil
}

// appendRecord appends c's hit record: its id, what a hit shows and the
// reranker reads, each string behind its length, then the validity dates.
func appendRecord(b []byte, c *handbook.Chunk) []byte {
	for _, s := range [...]string{c.ID, c.DocID, c.Anchor, string(c.Kind), c.Title, c.Heading, c.Field,
		string(c.Audience), foldNames(c), c.Text, strings.Join(handbook.FoldedSyllables(c.Title+" "+c.Heading+" "+c.Text), " ")} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(c.ValidFrom.Int()))
	return binary.AppendUvarint(b, uint64(c.ValidTo.Int()))
}

// readGap is how far apart two records may lie and still be read by one
// pread. A search reads its candidates' records (126 at 100k chunks); they
// cluster, since the chunks of a document are written together and
// candidates often share documents. At 100k synthetic chunks an 8 KiB gap
// makes ~29 reads of ~290 KB out of 126 reads of 225 KB: each pread costs
// ~6 µs of system time on these machines, copying the bytes between a few.
const readGap = 8 << 10

// readAll reads the records at locs and decodes them into hits, whose
// strings point into the blocks read: into buf, grown as needed and
// returned, when buf is not nil, else into a block allocated per read. The
// hits go into into when it has room, cleared first, else into a new
// slice. ids
// are the chunk ids bleve gave, or "" where the search did not read them;
// a record for another chunk is an error, never another chunk's text, and
// so is a record whose checksum is not the locator's.
func (s *textStore) readAll(ids []string, locs []textLoc, buf []byte, into []handbook.Hit) ([]handbook.Hit, []byte, error) {
	order := make([]int, len(locs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(locs[a].off, locs[b].off) })
	// Runs of records whose gaps are under readGap, each read at once.
	type run struct {
		start, end int // in order
		lo, hi     int64
	}
	var runBuf [32]run
	runs := runBuf[:0]
	total := 0
	for start := 0; start < len(order); {
		lo := locs[order[start]].off
		hi := lo + int64(locs[order[start]].n)
		end := start + 1
		for ; end < len(order); end++ {
			l := locs[order[end]]
			if l.off-hi > readGap || l.off+int64(l.n)-lo > maxRecord {
				break
			}
			hi = max(hi, l.off+int64(l.n))
		}
		runs = append(runs, run{start, end, lo, hi})
		total += int(hi - lo)
		start = end
	}
	if buf != nil {
		// One buffer for every run, sized first: strings point into it,
		// so it must not move once reading starts.
		buf = slices.Grow(buf[:0], total)
	}
	var hits []handbook.Hit
	if cap(into) >= len(locs) {
		// A hit the last search left must not show through (a snippet,
		// a validity): every field starts empty.
		hits = into[:len(locs)]
		clear(hits)
	} else {
		hits = make([]handbook.Hit, len(locs))
	}
	for _, r := range runs {
		var block []byte
		if buf != nil {
			at := len(buf)
			buf = buf[:at+int(r.hi-r.lo)]
			block = buf[at:]
		} else {
			block = make([]byte, r.hi-r.lo)
		}
		if _, err := s.f.ReadAt(block, r.lo); err != nil {
			return nil, buf, fmt.Errorf("read chunk texts at %d: %w", r.lo, err)
		}
		for _, i := range order[r.start:r.end] {
			l := locs[i]
			b := block[l.off-r.lo : l.off-r.lo+int64(l.n)]
			if crc32.Checksum(b, castagnoli) != l.crc {
				return nil, buf, fmt.Errorf("chunk text of %q at %d: checksum mismatch", ids[i], l.off)
			}
			if err := decodeRecord(b, &hits[i]); err != nil || (ids[i] != "" && hits[i].ChunkID != ids[i]) {
				return nil, buf, fmt.Errorf("chunk text of %s at %d: record of %q (%v)", ids[i], l.off, hits[i].ChunkID, err)
			}
		}
	}
	return hits, buf, nil
}

var errRecord = errors.New("bad chunk record")

func decodeRecord(b []byte, h *handbook.Hit) error {
	str := func() string {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			b = nil
			return ""
		}
		s := unsafe.String(unsafe.SliceData(b[k:]), int(n))
		b = b[k+int(n):]
		return s
	}
	date := func() handbook.Date {
		n, k := binary.Uvarint(b)
		if k <= 0 {
			b = nil
			return handbook.Date{}
		}
		b = b[k:]
		if n == 0 || n >= 99991231 {
			return handbook.Date{}
		}
		return handbook.Date{Time: time.Date(int(n/10000), time.Month(n/100%100), int(n%100), 0, 0, 0, 0, time.UTC)}
	}
	h.ChunkID, h.DocID, h.Anchor, h.Kind = str(), str(), str(), handbook.Kind(str())
	h.Title, h.Heading, h.Field, h.Audience = str(), str(), str(), handbook.Audience(str())
	h.Names = str()
	h.Text, h.Folded = str(), str()
	h.ValidFrom, h.ValidTo = date(), date()
	if b == nil || len(b) != 0 {
		return errRecord
	}
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)
