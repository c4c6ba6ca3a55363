package api

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// The search API's answer is written by hand, byte for byte what
// encoding/json writes for searchJSON (TestSearchJSONMatchesEncodingJSON):
// every search returns one, and through reflection it was 4% of a loaded
// server's CPU. Its length is known before it is sent, so it goes out with
// a Content-Length instead of in chunks.

// appendJSON appends out as encoding/json would encode it, with its
// trailing newline; ok is false for a score that is not a finite number,
// which encoding/json refuses.
func (out *searchJSON) appendJSON(b []byte) (_ []byte, ok bool) {
	b = append(b, `{"query":`...)
	b = appendJSONString(b, out.Query)
	b = append(b, `,"took_ms":`...)
	if b, ok = appendJSONFloat(b, out.TookMS); !ok {
		return b, false
	}
	b = append(b, `,"answerable":`...)
	b = strconv.AppendBool(b, out.Answerable)
	b = append(b, `,"mode":`...)
	b = appendJSONString(b, out.Mode)
	if out.Notice != "" {
		b = append(b, `,"notice":`...)
		b = appendJSONString(b, out.Notice)
	}
	b = append(b, `,"at":`...)
	b = appendJSONString(b, out.At)
	b = append(b, `,"hits":`...)
	if out.Hits == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range out.Hits {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = out.Hits[i].appendJSON(b); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...), true
}

func (h *hitJSON) appendJSON(b []byte) (_ []byte, ok bool) {
	b = append(b, `{"doc":`...)
	b = appendJSONString(b, h.Doc)
	b = append(b, `,"anchor":`...)
	b = appendJSONString(b, h.Anchor)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, h.Title)
	b = append(b, `,"heading":`...)
	b = appendJSONString(b, h.Heading)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, string(h.Kind))
	if h.Field != "" {
		b = append(b, `,"field":`...)
		b = appendJSONString(b, h.Field)
	}
	b = append(b, `,"snippet":`...)
	b = appendJSONString(b, h.Snippet)
	b = append(b, `,"score":`...)
	if b, ok = appendJSONFloat(b, h.Score); !ok {
		return b, false
	}
	b = append(b, `,"url":`...)
	b = appendJSONString(b, h.URL)
	b = append(b, `,"validity":`...)
	b = appendJSONString(b, string(h.Validity))
	return append(b, '}'), true
}

// appendJSONFloat is encoding/json's float64 encoding.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping
// (its default): quotes, backslashes and control characters escaped, <, >
// and & as \u003c, \u003e and \u0026, U+2028 and U+2029 escaped, and each
// byte of invalid UTF-8 replaced by \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
