package indexer

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"sotay/handbook"
)

// fill sets every field reachable from v to a random non-zero value, so
// that a field the snapshot forgets to store fails the round trip below.
func fill(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		n := 1 + r.IntN(80)
		if r.IntN(4) == 0 {
			n = shortString - 8 + r.IntN(400) // either region of the blob
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		v.SetString(string(b))
	case reflect.Int, reflect.Int64:
		v.SetInt(1 + r.Int64N(1000))
	case reflect.Uint8:
		v.SetUint(uint64(r.IntN(256)))
	case reflect.Array:
		for i := range v.Len() {
			fill(r, v.Index(i))
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(r, v.Elem())
	case reflect.Slice:
		n := 1 + r.IntN(3)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range v.Len() {
			fill(r, v.Index(i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 1 + r.IntN(3) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(r, k)
			fill(r, e)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[handbook.Date]() {
			v.Set(reflect.ValueOf(handbook.DateOf(time.Date(2000+r.IntN(30), 1+time.Month(r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC))))
			return
		}
		for i := range v.NumField() {
			if v.Type() == reflect.TypeFor[handbook.Document]() && (v.Type().Field(i).Name == "loadSections" || v.Type().Field(i).Name == "findSection") {
				continue // set by decoding (TestSnapshotRoundTrip)
			}
			if !v.Type().Field(i).IsExported() {
				panic("unexported field " + v.Type().Field(i).Name + " in " + v.Type().String())
			}
			fill(r, v.Field(i))
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := &snapshot{Version: "v", DF: map[string]int{"dang": 3, "ky": 1}, N: 7}
	for i := range 50 {
		f := &snapFile{}
		fill(r, reflect.ValueOf(f).Elem())
		if i%5 == 0 {
			f.Doc, f.Problems = nil, nil // a file that did not parse, or parsed clean
		}
		if i%7 == 0 && f.Doc != nil {
			// Nil and empty stay apart; sections share their document's HTML.
			f.Doc.Tags, f.Doc.Aliases, f.Doc.KeyLines, f.Doc.Procedure = nil, []string{}, nil, nil
			f.Doc.HTML = ""
			for k := range f.Doc.Sections {
				f.Doc.HTML += f.Doc.Sections[k].HTML
			}
		}
		if i%11 == 1 && f.Doc != nil {
			f.Doc.Sections = nil
		}
		if i%11 == 2 && f.Doc != nil {
			f.Doc.Sections = []handbook.Section{}
		}
		s.Files = append(s.Files, f)
	}
	data, err := encodeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	released := 0
	got, err := decodeSnapshot(data, "v", func(b []byte) { released += len(b) })
	if err != nil {
		t.Fatal(err)
	}
	// Every byte after the header is given back once its checksum is checked.
	if payload := len(data) - released; payload <= 0 || payload > 200 {
		t.Errorf("checksums gave back %d of %d bytes", released, len(data))
	}
	// Short strings come from the blob's first region, long ones after it.
	shortEnd := uintptr(0)
	blobStart := ^uintptr(0)
	var long, short []string
	for _, f := range got.Files {
		if f.Doc == nil {
			continue
		}
		for _, str := range []string{f.Doc.ID, f.Doc.Title, f.Doc.Body} {
			if len(str) == 0 {
				continue
			}
			if len(str) <= shortString {
				short = append(short, str)
			} else {
				long = append(long, str)
			}
		}
	}
	for _, str := range short {
		p := uintptr(unsafe.Pointer(unsafe.StringData(str)))
		shortEnd = max(shortEnd, p+uintptr(len(str)))
	}
	for _, str := range long {
		blobStart = min(blobStart, uintptr(unsafe.Pointer(unsafe.StringData(str))))
	}
	if len(short) == 0 || len(long) == 0 || shortEnd > blobStart {
		t.Errorf("%d short strings end at %#x, %d long ones start at %#x: regions mixed", len(short), shortEnd, len(long), blobStart)
	}
	// Sections stay in the snapshot until asked for, and come out the
	// same each time.
	for i, f := range got.Files {
		d := f.Doc
		if d == nil {
			continue
		}
		if d.Sections != nil {
			t.Errorf("file %d: sections decoded with the document", i)
		}
		first := d.SectionList()
		if again := d.SectionList(); !reflect.DeepEqual(first, again) || (len(first) > 0 && &first[0] == &again[0]) {
			t.Errorf("file %d: SectionList gave %v, then %v (want equal copies)", i, first, again)
		}
		for k := range first {
			if got, ok := d.Section(first[k].Anchor); !ok || !reflect.DeepEqual(*got, first[k]) {
				t.Errorf("file %d: Section(%q) = %+v, %v; want %+v", i, first[k].Anchor, got, ok, first[k])
			}
		}
		if got, ok := d.Section("no-such-anchor"); ok {
			t.Errorf("file %d: Section(no-such-anchor) = %+v", i, got)
		}
		d.Sections = first
		d.SetSectionLoader(nil, nil)
	}
	for i := range s.Files {
		if !reflect.DeepEqual(got.Files[i], s.Files[i]) {
			t.Errorf("file %d differs after the round trip:\n got %+v\nwant %+v", i, got.Files[i].Doc, s.Files[i].Doc)
		}
	}
	if !reflect.DeepEqual(got.DF, s.DF) || got.N != s.N {
		t.Errorf("statistics = %v %d, want %v %d", got.DF, got.N, s.DF, s.N)
	}
	if _, err := decodeSnapshot(data, "w", nil); err == nil {
		t.Errorf("decodeSnapshot(other version) succeeded")
	}
	// Every truncation and many single-byte changes are refused, without panicking.
	for n := range len(data) {
		if _, err := decodeSnapshot(data[:n], "v", nil); err == nil {
			t.Fatalf("decodeSnapshot(first %d bytes) succeeded", n)
		}
	}
	for range 200 {
		b := append([]byte(nil), data...)
		b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		if _, err := decodeSnapshot(b, "v", nil); err == nil {
			t.Fatalf("decodeSnapshot(damaged) succeeded")
		}
	}
}

func TestSnapshotRefusesLocalDates(t *testing.T) {
	d := &handbook.Document{Reviewed: handbook.Date{Time: time.Date(2025, 1, 2, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))}}
	if _, err := encodeSnapshot(&snapshot{Files: []*snapFile{{Doc: d}}}); err == nil {
		t.Errorf("encodeSnapshot(date outside UTC) succeeded")
	}
}
