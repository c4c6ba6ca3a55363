package api

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"sotay/handbook"
)

// TestSearchJSONMatchesEncodingJSON: the hand-written search answer is
// byte for byte what encoding/json writes, on random strings (control
// characters, HTML characters, Vietnamese, U+2028, invalid UTF-8) and
// numbers (tiny, huge, negative, rounded scores).
func TestSearchJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "Z", "0", " ", "\"", "\\", "/", "<", ">", "&", "<mark>", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"đăng ký", "Ệ", "…", "\u2028", "\u2029", "\xff", "\xc3", "\xe1\xba", "€", "😀", "\u00a0", "'"}
	str := func() string {
		var b []byte
		for range rng.IntN(12) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		return string(b)
	}
	floats := []float64{0, 1, -1, 0.5, 1e-7, 1.5e-9, 1e21, 1e22, 123456789.125, 3.14159, -2.5e-8, 1e20, 0.000001, math.SmallestNonzeroFloat64, math.MaxFloat64}
	num := func() float64 {
		if rng.IntN(3) == 0 {
			return floats[rng.IntN(len(floats))]
		}
		return round(rng.Float64() * 5)
	}
	for i := range 3000 {
		out := searchJSON{Query: str(), TookMS: num(), Answerable: rng.IntN(2) == 0, Mode: str(), At: str()}
		if rng.IntN(2) == 0 {
			out.Notice = str()
		}
		if i%50 != 0 { // and now and then no hits at all (nil)
			out.Hits = make([]hitJSON, rng.IntN(4))
		}
		for j := range out.Hits {
			out.Hits[j] = hitJSON{Doc: str(), Anchor: str(), Title: str(), Heading: str(), Kind: handbook.Kind(str()),
				Snippet: str(), Score: num(), URL: str(), Validity: handbook.Validity(str())}
			if rng.IntN(2) == 0 {
				out.Hits[j].Field = str()
			}
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(out); err != nil {
			t.Fatal(err)
		}
		got, ok := out.appendJSON(nil)
		if !ok || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("case %d (ok %v):\n got %s\nwant %s", i, ok, got, want.Bytes())
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		out := searchJSON{Hits: []hitJSON{{Score: bad}}}
		if _, ok := out.appendJSON(nil); ok {
			t.Errorf("score %v encoded", bad)
		}
		if _, err := json.Marshal(out); err == nil {
			t.Errorf("encoding/json took score %v", bad)
		}
	}
}
