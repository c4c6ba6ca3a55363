package indexer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"time"
	"unsafe"

	"sotay/handbook"
)

// The content snapshot is what a Loader keeps on disk: for every content
// file its size, modification time and hash, and what parsing it gave
// (document and problems), plus the term statistics of the library built
// from them. A restart that finds the same files uses it instead of parsing
// them again.
//
// Layout: magic, format, the version of the code that wrote it (a
// snapshot from another build is ignored: the parser may have changed),
// the lengths of the sections, their CRC-32C, then the sections. "meta"
// holds the structure as varints; every string is an (offset, length) pair
// into "blob". The blob keeps short strings (ids, titles, headings, fields,
// owners: what a server reads on every request) before long ones (bodies,
// HTML, section texts): read through the mapping, the short ones stay
// within a few megabytes of pages instead of bringing in pages of text all
// over the file (format 1 mixed them, and 155 MiB of a 100k-chunk snapshot
// became resident again under load, docs/BENCHMARKS.md). An offset's low
// bit says which region it counts from. On reading, strings point into the
// blob without copying (the whole file is one mapping, or one allocation
// where files cannot be mapped, that the documents keep alive), which is
// what makes reading fast: at 100,000 chunks, parsing the content takes
// seconds, reading the snapshot a fraction of one. Strings that are part of
// another one (a section's HTML in the document's HTML, a clause's text in
// its article's) and short repeated strings are stored once.
const (
	snapshotMagic  = "SOTAYCC\x00"
	snapshotFormat = 2
	// shortString is the longest string kept in the blob's first region.
	shortString = 128
)

var errSnapshot = errors.New("content snapshot is corrupt")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapFile is one content file as of the last load.
type snapFile struct {
	Path     string
	Size     int64
	ModTime  int64 // UnixNano; 0 when the file system has no times
	Checked  int64 // UnixNano when size and time were last confirmed against the content
	Hash     [32]byte
	Doc      *handbook.Document // nil when the file could not be used
	Problems []handbook.Problem
	InLib    bool // Doc is the library's document for its id (not a duplicate)
}

// snapshot is the decoded file.
type snapshot struct {
	Version string
	Files   []*snapFile
	DF      map[string]int
	N       int
}

// encodeSnapshot serialises s. It fails on a value it cannot represent
// exactly (a date outside UTC), so that a snapshot never changes content.
func encodeSnapshot(s *snapshot) ([]byte, error) {
	w := &snapWriter{intern: map[string]uint64{}}
	index := make([]byte, 0, 8*len(s.Files)+8)
	for _, f := range s.Files {
		index = binary.LittleEndian.AppendUint64(index, uint64(len(w.meta)))
		w.str(f.Path)
		w.v(f.Size)
		w.v(f.ModTime)
		w.v(f.Checked)
		w.meta = append(w.meta, f.Hash[:]...)
		w.uv(uint64(len(f.Problems)))
		for _, p := range f.Problems {
			w.problem(p)
		}
		w.flag(f.InLib)
		w.flag(f.Doc != nil)
		if f.Doc != nil {
			w.doc(f.Doc)
		}
	}
	index = binary.LittleEndian.AppendUint64(index, uint64(len(w.meta))) // where the statistics start
	w.uv(uint64(len(s.DF)))
	for t, n := range s.DF {
		w.str(t)
		w.uv(uint64(n))
	}
	w.uv(uint64(s.N))
	if w.err != nil {
		return nil, w.err
	}
	blob := append(w.short, w.blob...)
	out := make([]byte, 0, len(snapshotMagic)+64+len(s.Version)+len(index)+len(w.meta)+len(blob))
	out = append(out, snapshotMagic...)
	out = binary.AppendUvarint(out, snapshotFormat)
	out = binary.AppendUvarint(out, uint64(len(s.Version)))
	out = append(out, s.Version...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(s.Files)))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(w.meta)))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(blob)))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(w.short)))
	payload := [][]byte{index, w.meta, blob}
	for _, crc := range blockCRCs(payload, nil) {
		out = binary.LittleEndian.AppendUint32(out, crc)
	}
	for _, p := range payload {
		out = append(out, p...)
	}
	return out, nil
}

// snapshotBlock is the size of the parts of the payload that have their own
// checksum, so that checking them runs on every CPU.
const snapshotBlock = 4 << 20

// blockCRCs returns the CRC-32C of each snapshotBlock of the concatenated
// parts; done, when not nil, is called with each part's bytes of a block
// once that block is summed.
func blockCRCs(parts [][]byte, done func([]byte)) []uint32 {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	crcs := make([]uint32, (total+snapshotBlock-1)/snapshotBlock)
	forEach(len(crcs), func(b int) {
		lo, hi := b*snapshotBlock, min((b+1)*snapshotBlock, total)
		var crc uint32
		at := 0
		for _, p := range parts {
			if s, e := max(lo-at, 0), min(hi-at, len(p)); s < e {
				crc = crc32.Update(crc, castagnoli, p[s:e])
				if done != nil {
					done(p[s:e])
				}
			}
			at += len(p)
		}
		crcs[b] = crc
	})
	return crcs
}

// snapshotVersion returns the version a snapshot was written by, or an
// error when data is not a snapshot of this format.
func snapshotVersion(data []byte) (version string, rest []byte, err error) {
	if !strings.HasPrefix(string(data[:min(len(data), len(snapshotMagic))]), snapshotMagic) {
		return "", nil, fmt.Errorf("%w: not a snapshot", errSnapshot)
	}
	data = data[len(snapshotMagic):]
	format, n := binary.Uvarint(data)
	if n <= 0 {
		return "", nil, errSnapshot
	}
	if format != snapshotFormat {
		return "", nil, fmt.Errorf("content snapshot format %d, want %d", format, snapshotFormat)
	}
	data = data[n:]
	vl, n := binary.Uvarint(data)
	if n <= 0 || vl > uint64(len(data)-n) {
		return "", nil, errSnapshot
	}
	data = data[n:]
	return string(data[:vl]), data[vl:], nil
}

// decodeSnapshot reads a snapshot written by the given version. The
// returned strings point into data, which must not be modified afterwards.
// release, when not nil, gives back the pages of a part of data (mapFile):
// each block is given back once its checksum is checked, so that checking
// a mapped snapshot does not make all of it resident at once (it was the
// peak of a start: the whole file next to the decoded documents).
func decodeSnapshot(data []byte, version string, release func([]byte)) (s *snapshot, err error) {
	v, data, err := snapshotVersion(data)
	if err != nil {
		return nil, err
	}
	if v != version {
		return nil, fmt.Errorf("content snapshot from another version (%q, want %q)", v, version)
	}
	if len(data) < 32 {
		return nil, errSnapshot
	}
	nFiles, metaLen, blobLen := binary.LittleEndian.Uint64(data), binary.LittleEndian.Uint64(data[8:]), binary.LittleEndian.Uint64(data[16:])
	shortLen := binary.LittleEndian.Uint64(data[24:])
	data = data[32:]
	if nFiles > uint64(len(data))/8 || metaLen > uint64(len(data)) || blobLen > uint64(len(data)) || shortLen > blobLen {
		return nil, fmt.Errorf("%w: truncated", errSnapshot)
	}
	payloadLen := 8*(nFiles+1) + metaLen + blobLen
	nBlocks := (payloadLen + snapshotBlock - 1) / snapshotBlock
	if uint64(len(data)) != 4*nBlocks+payloadLen {
		return nil, fmt.Errorf("%w: truncated", errSnapshot)
	}
	crcs, payload := data[:4*nBlocks], data[4*nBlocks:]
	got := blockCRCs([][]byte{payload}, release)
	for i := range got {
		if got[i] != binary.LittleEndian.Uint32(crcs[4*i:]) {
			return nil, fmt.Errorf("%w: checksum mismatch", errSnapshot)
		}
	}
	index, meta, blob := payload[:8*(nFiles+1)], payload[8*(nFiles+1):8*(nFiles+1)+metaLen], payload[8*(nFiles+1)+metaLen:]
	at := func(i int) uint64 { return binary.LittleEndian.Uint64(index[8*i:]) }
	// Records are decoded in parallel, a run of files per task.
	s = &snapshot{Version: v, Files: make([]*snapFile, nFiles)}
	const run = 64
	errs := make([]error, (int(nFiles)+run-1)/run)
	forEach(len(errs), func(k int) {
		lo, hi := k*run, min((k+1)*run, int(nFiles))
		start, end := at(lo), at(hi)
		if start > end || end > metaLen {
			errs[k] = errSnapshot
			return
		}
		r := &snapReader{meta: meta[:end], pos: int(start), blob: blob, short: shortLen}
		errs[k] = r.files(s.Files[lo:hi])
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r := &snapReader{meta: meta, blob: blob, short: shortLen, pos: int(at(int(nFiles)))}
	if uint64(r.pos) > metaLen {
		return nil, errSnapshot
	}
	// The terms are copied out of the mapping into one block of the heap:
	// every question looks its syllables up in this map, and keys left in
	// the mapping kept faulting its pages back in, each bringing its
	// neighbours along (the kernel maps 64 KiB around a fault): 9 MiB of
	// snapshot resident after five questions, 155 MiB after a benchmark
	// run at 100k chunks, where the terms themselves are a few hundred KiB.
	nt := r.count()
	terms := make([]string, 0, min(nt, len(r.meta)))
	counts := make([]int, 0, cap(terms))
	size := 0
	for range nt {
		t := r.str()
		terms = append(terms, t)
		counts = append(counts, int(r.uv()))
		size += len(t)
	}
	block := make([]byte, 0, size)
	s.DF = make(map[string]int, len(terms))
	for i, t := range terms {
		block = append(block, t...)
		s.DF[unsafe.String(unsafe.SliceData(block[len(block)-len(t):]), len(t))] = counts[i]
	}
	s.N = int(r.uv())
	if r.err != nil {
		return nil, r.err
	}
	if r.pos != len(r.meta) {
		return nil, fmt.Errorf("%w: trailing data", errSnapshot)
	}
	return s, nil
}

// files decodes consecutive file records into out; they must end where
// r.meta does.
func (r *snapReader) files(out []*snapFile) (err error) {
	// The checksum makes damage unlikely to get this far; the bounds
	// checks and this recover keep a bad snapshot from crashing.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errSnapshot, p)
		}
	}()
	for i := range out {
		f := &snapFile{Path: r.str(), Size: r.v(), ModTime: r.v(), Checked: r.v()}
		copy(f.Hash[:], r.bytes(32))
		if np := r.count(); np > 0 {
			f.Problems = make([]handbook.Problem, np)
			for i := range f.Problems {
				f.Problems[i] = r.problem()
			}
		}
		f.InLib = r.flag()
		if r.flag() {
			f.Doc = r.doc()
		}
		if r.err != nil {
			return r.err
		}
		out[i] = f
	}
	if r.pos != len(r.meta) {
		return fmt.Errorf("%w: record length", errSnapshot)
	}
	return nil
}

// snapWriter builds the meta and blob sections.
type snapWriter struct {
	meta []byte
	// short and blob are the blob's two regions: strings of at most
	// shortString bytes, then the others.
	short, blob []byte
	intern      map[string]uint64 // short strings already stored
	err         error
}

func (w *snapWriter) uv(x uint64) { w.meta = binary.AppendUvarint(w.meta, x) }
func (w *snapWriter) v(x int64)   { w.meta = binary.AppendVarint(w.meta, x) }
func (w *snapWriter) n(x int)     { w.v(int64(x)) }

func (w *snapWriter) flag(b bool) {
	if b {
		w.meta = append(w.meta, 1)
	} else {
		w.meta = append(w.meta, 0)
	}
}

// put adds s to the blob (once, for short strings) and returns its
// position: the offset in its region times two, plus one for the region of
// long strings. A position plus twice n is n bytes further in the string.
func (w *snapWriter) put(s string) uint64 {
	if len(s) > shortString {
		pos := uint64(len(w.blob))<<1 | 1
		w.blob = append(w.blob, s...)
		return pos
	}
	if pos, ok := w.intern[s]; ok {
		return pos
	}
	pos := uint64(len(w.short)) << 1
	w.short = append(w.short, s...)
	w.intern[s] = pos
	return pos
}

func (w *snapWriter) str(s string) {
	w.uv(w.put(s))
	w.uv(uint64(len(s)))
}

// strIn writes s as a part of parent, stored at offset base, when it is
// one, looking from byte from of parent; it returns where s ends in parent,
// or from when s was stored on its own.
func (w *snapWriter) strIn(s, parent string, base uint64, from int) int {
	if from <= len(parent) && len(s) > 0 {
		if i := strings.Index(parent[from:], s); i >= 0 {
			w.uv(base + 2*uint64(from+i))
			w.uv(uint64(len(s)))
			return from + i + len(s)
		}
	}
	w.str(s)
	return from
}

// putList writes a slice, keeping nil apart from empty: 0 for nil, else
// the length plus one, then each element.
func putList[T any](w *snapWriter, xs []T, each func(T)) {
	if xs == nil {
		w.uv(0)
		return
	}
	w.uv(uint64(len(xs)) + 1)
	for _, x := range xs {
		each(x)
	}
}

func (w *snapWriter) strs(ss []string) { putList(w, ss, w.str) }

func (w *snapWriter) date(d handbook.Date) {
	if d.Time.IsZero() {
		w.flag(false)
		return
	}
	if d.Location() != time.UTC {
		w.err = fmt.Errorf("content snapshot: date %s is not in UTC", d.Time)
	}
	w.flag(true)
	w.v(d.Unix())
	w.v(int64(d.Nanosecond()))
}

func (w *snapWriter) problem(p handbook.Problem) {
	w.str(p.Path)
	w.n(p.Line)
	w.str(string(p.Severity))
	w.str(p.Message)
}

func (w *snapWriter) doc(d *handbook.Document) {
	w.str(d.ID)
	w.str(d.Path)
	w.str(string(d.Kind))
	w.str(d.Title)
	w.strs(d.Aliases)
	w.strs(d.Tags)
	w.str(d.Summary)
	w.str(string(d.Audience))
	w.str(string(d.Status))
	w.str(d.Owner)
	w.str(d.Reviewer)
	w.date(d.Reviewed)
	w.date(d.Effective)
	w.date(d.Expires)
	w.strs(d.Sources)
	putList(w, d.LegalBasis, func(r handbook.Reference) {
		w.str(r.Doc)
		w.str(r.Article)
		w.str(r.Note)
	})
	w.str(d.ReformNote)
	w.flag(d.Procedure != nil)
	if p := d.Procedure; p != nil {
		w.str(p.Code)
		w.str(p.Field)
		w.str(p.Level)
		w.str(p.Agency)
		w.str(p.Where)
		w.strs(p.Applicants)
		w.strs(p.Channels)
		w.str(p.Online)
		w.str(p.TimeLimit)
		w.str(p.Fee)
		w.str(p.FeeBasis)
		putList(w, p.Documents, func(it handbook.DossierItem) {
			w.str(it.Name)
			w.str(it.Copies)
			w.str(it.Note)
		})
		w.strs(p.Steps)
		w.str(p.Result)
		w.strs(p.Forms)
		w.strs(p.Conditions)
		w.str(p.DVCURL)
		w.str(p.Hotline)
	}
	w.flag(d.Regulation != nil)
	if r := d.Regulation; r != nil {
		w.str(r.Number)
		w.str(r.DocType)
		w.str(r.ShortName)
		w.str(r.Issuer)
		w.date(r.Issued)
		w.date(r.Effective)
		w.date(r.Expired)
		w.str(r.ReplacedBy)
		w.strs(r.AmendedBy)
		w.flag(r.Summarised)
	}
	w.flag(d.Template != nil)
	if t := d.Template; t != nil {
		w.str(t.DocType)
		w.str(t.Abbr)
		putList(w, t.Fields, func(f handbook.TemplateField) {
			w.str(f.Name)
			w.str(f.Label)
			w.flag(f.Required)
			w.str(f.Example)
			w.flag(f.Multi)
		})
		w.strs(t.Structure)
	}
	putList(w, d.Links, func(l handbook.Link) {
		w.str(l.Doc)
		w.str(l.Anchor)
		w.n(l.Line)
	})
	if d.KeyLines == nil {
		w.uv(0)
	} else {
		w.uv(uint64(len(d.KeyLines)) + 1)
		for k, line := range d.KeyLines {
			w.str(k)
			w.n(line)
		}
	}
	w.str(d.Body)
	htmlOff := w.put(d.HTML)
	w.uv(htmlOff)
	w.uv(uint64(len(d.HTML)))
	if secs := d.SectionList(); secs == nil {
		w.uv(0)
	} else {
		w.uv(uint64(len(secs)) + 1)
		type placed struct {
			text string
			off  uint64
		}
		texts := map[string]placed{} // anchor → where its text is in the blob
		htmlAt := 0
		for _, s := range secs {
			w.str(string(s.Kind))
			w.str(s.Anchor)
			w.str(s.Number)
			w.str(s.Title)
			w.str(s.Heading)
			w.str(s.Parent)
			w.strs(s.Path)
			// A clause's text is part of its article's, a point's of its clause's.
			var off uint64
			i := -1
			if p, ok := texts[s.Parent]; ok && s.Parent != "" {
				if i = strings.Index(p.text, s.Text); i >= 0 {
					off = p.off + 2*uint64(i)
				}
			}
			if i < 0 {
				off = w.put(s.Text)
			}
			w.uv(off)
			w.uv(uint64(len(s.Text)))
			if s.Anchor != "" && len(s.Text) > 64 {
				texts[s.Anchor] = placed{text: s.Text, off: off}
			}
			// Sections' HTML are consecutive parts of the document's.
			htmlAt = w.strIn(s.HTML, d.HTML, htmlOff, htmlAt)
			w.n(s.Line)
		}
	}
	w.str(d.Hash)
	w.n(d.BodyLine)
}

// snapReader reads what snapWriter wrote; the first error sticks and
// every later read returns zero values.
type snapReader struct {
	meta, blob []byte
	short      uint64 // length of the blob's region of short strings
	pos        int
	err        error
}

func (r *snapReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: bad record at byte %d", errSnapshot, r.pos)
	}
	r.pos = len(r.meta)
}

func (r *snapReader) uv() uint64 {
	x, n := binary.Uvarint(r.meta[r.pos:])
	if n <= 0 {
		r.fail()
		return 0
	}
	r.pos += n
	return x
}

func (r *snapReader) v() int64 {
	x, n := binary.Varint(r.meta[r.pos:])
	if n <= 0 {
		r.fail()
		return 0
	}
	r.pos += n
	return x
}

func (r *snapReader) n() int { return int(r.v()) }

// count reads a length; one that cannot fit in what is left is corrupt
// (every element takes at least a byte), which bounds allocations.
func (r *snapReader) count() int {
	x := r.uv()
	if x > uint64(len(r.meta)-r.pos) {
		r.fail()
		return 0
	}
	return int(x)
}

func (r *snapReader) flag() bool {
	if r.pos >= len(r.meta) {
		r.fail()
		return false
	}
	b := r.meta[r.pos]
	r.pos++
	if b > 1 {
		r.fail()
	}
	return b == 1
}

func (r *snapReader) bytes(n int) []byte {
	if len(r.meta)-r.pos < n {
		r.fail()
		return make([]byte, n)
	}
	b := r.meta[r.pos : r.pos+n]
	r.pos += n
	return b
}

func (r *snapReader) str() string {
	pos, n := r.uv(), r.uv()
	off := pos >> 1
	if pos&1 == 1 {
		off += r.short
	}
	if off > uint64(len(r.blob)) || n > uint64(len(r.blob))-off {
		r.fail()
		return ""
	}
	if n == 0 {
		return ""
	}
	return unsafe.String(&r.blob[off], int(n))
}

// getList reads a slice written by putList.
func getList[T any](r *snapReader, each func() T) []T {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := make([]T, n-1)
	for i := range out {
		out[i] = each()
	}
	return out
}

func (r *snapReader) strs() []string { return getList(r, r.str) }

func (r *snapReader) date() handbook.Date {
	if !r.flag() {
		return handbook.Date{}
	}
	sec, nsec := r.v(), r.v()
	return handbook.Date{Time: time.Unix(sec, nsec).UTC()}
}

func (r *snapReader) problem() handbook.Problem {
	return handbook.Problem{Path: r.str(), Line: r.n(), Severity: handbook.Severity(r.str()), Message: r.str()}
}

func (r *snapReader) doc() *handbook.Document {
	d := &handbook.Document{
		ID:       r.str(),
		Path:     r.str(),
		Kind:     handbook.Kind(r.str()),
		Title:    r.str(),
		Aliases:  r.strs(),
		Tags:     r.strs(),
		Summary:  r.str(),
		Audience: handbook.Audience(r.str()),
		Status:   handbook.Status(r.str()),
		Owner:    r.str(),
		Reviewer: r.str(),
	}
	d.Reviewed, d.Effective, d.Expires = r.date(), r.date(), r.date()
	d.Sources = r.strs()
	d.LegalBasis = getList(r, func() handbook.Reference {
		return handbook.Reference{Doc: r.str(), Article: r.str(), Note: r.str()}
	})
	d.ReformNote = r.str()
	if r.flag() {
		p := &handbook.Procedure{Code: r.str(), Field: r.str(), Level: r.str(), Agency: r.str(), Where: r.str()}
		p.Applicants, p.Channels = r.strs(), r.strs()
		p.Online, p.TimeLimit, p.Fee, p.FeeBasis = r.str(), r.str(), r.str(), r.str()
		p.Documents = getList(r, func() handbook.DossierItem {
			return handbook.DossierItem{Name: r.str(), Copies: r.str(), Note: r.str()}
		})
		p.Steps = r.strs()
		p.Result = r.str()
		p.Forms, p.Conditions = r.strs(), r.strs()
		p.DVCURL, p.Hotline = r.str(), r.str()
		d.Procedure = p
	}
	if r.flag() {
		g := &handbook.Regulation{Number: r.str(), DocType: r.str(), ShortName: r.str(), Issuer: r.str()}
		g.Issued, g.Effective, g.Expired = r.date(), r.date(), r.date()
		g.ReplacedBy = r.str()
		g.AmendedBy = r.strs()
		g.Summarised = r.flag()
		d.Regulation = g
	}
	if r.flag() {
		t := &handbook.Template{DocType: r.str(), Abbr: r.str()}
		t.Fields = getList(r, func() handbook.TemplateField {
			return handbook.TemplateField{Name: r.str(), Label: r.str(), Required: r.flag(), Example: r.str(), Multi: r.flag()}
		})
		t.Structure = r.strs()
		d.Template = t
	}
	d.Links = getList(r, func() handbook.Link {
		return handbook.Link{Doc: r.str(), Anchor: r.str(), Line: r.n()}
	})
	if n := r.count(); n > 0 {
		d.KeyLines = make(map[string]int, n-1)
		for range n - 1 {
			k := r.str()
			d.KeyLines[k] = r.n()
		}
	}
	d.Body = r.str()
	d.HTML = r.str()
	// The sections stay in the snapshot (Document.Sections): this pass
	// checks them and moves past them, and the document decodes them
	// from the same bytes when asked.
	at := r.pos
	if r.sections(nil, false) != nil && r.err == nil {
		lazy := snapReader{meta: r.meta, blob: r.blob, short: r.short, pos: at}
		d.SetSectionLoader(func() []handbook.Section {
			q := lazy
			return q.sections(func(string) bool { return true }, false)
		}, func(anchor string) (handbook.Section, bool) {
			q := lazy
			if found := q.sections(func(a string) bool { return a == anchor }, true); len(found) > 0 {
				return found[0], true
			}
			return handbook.Section{}, false
		})
	}
	d.Hash = r.str()
	d.BodyLine = r.n()
	return d
}

// sections reads a document's section list and returns those whose anchor
// keep accepts, decoded, stopping at the first with first set. With keep
// nil it only checks the records and moves past them, allocating nothing,
// and returns an empty non-nil slice for a non-nil list.
func (r *snapReader) sections(keep func(anchor string) bool, first bool) []handbook.Section {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := []handbook.Section{}
	for range n - 1 {
		var s handbook.Section
		s.Kind = handbook.SectionKind(r.str())
		s.Anchor = r.str()
		want := keep != nil && keep(s.Anchor)
		// Strings point into the blob; only the path allocates, so it
		// alone is skipped for the sections not wanted.
		s.Number, s.Title, s.Heading, s.Parent = r.str(), r.str(), r.str(), r.str()
		if want {
			s.Path = r.strs()
		} else {
			for range max(r.count()-1, 0) {
				r.str()
			}
		}
		s.Text, s.HTML = r.str(), r.str()
		s.Line = r.n()
		if want {
			out = append(out, s)
			if first {
				break
			}
		}
	}
	return out
}
