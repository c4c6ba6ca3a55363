package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sotay/handbook"
)

// maxPartSize bounds how much of one zip part is read, so that a small
// uploaded file cannot expand into gigabytes (a zip bomb).
const maxPartSize = 32 << 20

// errNotDocx is wrapped when the bytes are not a WordprocessingML package.
var errNotDocx = errors.New("not a .docx file")

// invalidFile is the error for uploads that are not a readable .docx.
func invalidFile(format string, args ...any) error {
	return handbook.Errorf(handbook.Invalid, "Tệp không phải văn bản Word (.docx) hợp lệ.", format, args...)
}

func readPart(b []byte, name string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, invalidFile("docx: open zip: %w", errors.Join(errNotDocx, err))
	}
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, invalidFile("docx: open %s: %w", name, err)
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, maxPartSize+1))
		if err != nil {
			return nil, invalidFile("docx: read %s: %w", name, err)
		}
		if len(data) > maxPartSize {
			return nil, handbook.Errorf(handbook.Invalid, "Tệp văn bản quá lớn.", "docx: %s larger than %d bytes", name, maxPartSize)
		}
		return data, nil
	}
	return nil, invalidFile("docx: no %s: %w", name, errNotDocx)
}

// ReadText returns the text of a .docx's main document, one paragraph per
// line, in document order; table cells are read row by row, left to right,
// which is the order Render writes and handbook.ParseDraftText expects.
// Empty paragraphs are skipped. Input that is not a .docx gives an Invalid
// error.
func ReadText(b []byte) (string, error) {
	data, err := readPart(b, "word/document.xml")
	if err != nil {
		return "", err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var out, cur strings.Builder
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", invalidFile("docx: parse document.xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != nsW {
				continue
			}
			switch t.Name.Local {
			case "p":
				cur.Reset()
			case "t":
				inText = true
			case "tab":
				cur.WriteByte(' ')
			case "br", "cr":
				cur.WriteByte(' ')
			}
		case xml.EndElement:
			if t.Name.Space != nsW {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if line := handbook.NormalizeLine(cur.String()); line != "" {
					out.WriteString(line)
					out.WriteByte('\n')
				}
				cur.Reset()
			}
		case xml.CharData:
			if inText {
				cur.Write(t)
			}
		}
	}
	return out.String(), nil
}

// CheckLayout reports where a .docx departs from the page setup and fonts of
// Phụ lục I, Phần I, mục I Nghị định 30/2020/NĐ-CP: A4 portrait, margins in
// range, Times New Roman, body text 13–14 pt.
func CheckLayout(b []byte) ([]handbook.Finding, error) {
	data, err := readPart(b, "word/document.xml")
	if err != nil {
		return nil, err
	}
	styles, _ := readPart(b, "word/styles.xml") // optional part
	var fs []handbook.Finding
	add := func(c handbook.Component, sev handbook.Severity, format string, args ...any) {
		fs = append(fs, handbook.Finding{Rule: handbook.RulePageSetup, Component: c, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	l, err := scanLayout(data)
	if err != nil {
		return nil, invalidFile("docx: parse document.xml: %w", err)
	}
	defaultFont, defaultSize := "", 0
	if styles != nil {
		if s, err := scanLayout(styles); err == nil {
			defaultFont, defaultSize = s.defaultFont, s.defaultSize
		}
	}
	const tol = 5 // twips of rounding
	in := func(v, lo, hi int) bool { return v >= lo-tol && v <= hi+tol }
	switch {
	case l.pageW == 0 || l.pageH == 0:
		add("", handbook.SeverityError, "Không đọc được khổ giấy của văn bản.")
	case l.pageW > l.pageH || l.orient == "landscape":
		add("", handbook.SeverityError, "Văn bản trình bày theo chiều dài khổ A4 (khổ dọc).")
	case !in(l.pageW, PageWidth, PageWidth) || !in(l.pageH, PageHeight, PageHeight):
		add("", handbook.SeverityError, "Khổ giấy phải là A4 (210 × 297 mm), không phải %.0f × %.0f mm.", mm(l.pageW), mm(l.pageH))
	}
	for _, m := range []struct {
		name       string
		v          int
		lo, hi     int
		loMM, hiMM float64
	}{
		{"trên", l.top, 1134, 1417, 20, 25},
		{"dưới", l.bottom, 1134, 1417, 20, 25},
		{"trái", l.left, 1701, 1984, 30, 35},
		{"phải", l.right, 850, 1134, 15, 20},
	} {
		if l.pageW != 0 && !in(m.v, m.lo, m.hi) {
			add("", handbook.SeverityError, "Lề %s %.1f mm, phải trong khoảng %.0f–%.0f mm.", m.name, mm(m.v), m.loMM, m.hiMM)
		}
	}
	fonts := map[string]bool{}
	if defaultFont != "" {
		fonts[defaultFont] = true
	}
	for f := range l.fonts {
		fonts[f] = true
	}
	for f := range fonts {
		if f != FontName {
			add(handbook.ComponentBody, handbook.SeverityError, "Phông chữ phải là Times New Roman, không phải «%s».", f)
		}
	}
	bodySizes := l.bodySizes
	if len(bodySizes) == 0 && defaultSize != 0 {
		bodySizes = map[int]bool{defaultSize: true}
	}
	for sz := range bodySizes {
		if sz < 26 || sz > 28 {
			add(handbook.ComponentBody, handbook.SeverityError, "Cỡ chữ phần nội dung từ 13 đến 14, không phải %s.", strconv.FormatFloat(float64(sz)/2, 'f', -1, 64))
		}
	}
	return fs, nil
}

func mm(twips int) float64 { return float64(twips) * 25.4 / 1440 }

type layout struct {
	pageW, pageH             int
	orient                   string
	top, bottom, left, right int
	fonts                    map[string]bool
	bodySizes                map[int]bool // sizes of runs in justified paragraphs
	defaultFont              string
	defaultSize              int
}

// scanLayout reads page size, margins, run fonts and the sizes of runs in
// justified (body) paragraphs from document.xml, or the defaults from
// styles.xml.
func scanLayout(data []byte) (*layout, error) {
	l := &layout{fonts: map[string]bool{}, bodySizes: map[int]bool{}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	attr := func(t xml.StartElement, name string) string {
		for _, a := range t.Attr {
			if a.Name.Local == name && a.Name.Space == nsW {
				return a.Value
			}
		}
		return ""
	}
	num := func(t xml.StartElement, name string) int {
		n, _ := strconv.Atoi(attr(t, name))
		return n
	}
	var stack []string
	justified := false
	var runSizes []int
	inDefaults := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			stack = append(stack, t.Name.Local)
			if t.Name.Space != nsW {
				continue
			}
			switch t.Name.Local {
			case "docDefaults":
				inDefaults = true
			case "pgSz":
				l.pageW, l.pageH, l.orient = num(t, "w"), num(t, "h"), attr(t, "orient")
			case "pgMar":
				l.top, l.bottom, l.left, l.right = num(t, "top"), num(t, "bottom"), num(t, "left"), num(t, "right")
			case "p":
				justified, runSizes = false, nil
			case "jc":
				if parent == "pPr" && attr(t, "val") == "both" {
					justified = true
				}
			case "rFonts":
				if f := attr(t, "ascii"); f != "" {
					if inDefaults {
						l.defaultFont = f
					} else {
						l.fonts[f] = true
					}
				}
			case "sz":
				if inDefaults {
					l.defaultSize = num(t, "val")
				} else if parent == "rPr" && len(stack) >= 3 && stack[len(stack)-3] == "r" {
					runSizes = append(runSizes, num(t, "val"))
				}
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			switch t.Name.Local {
			case "docDefaults":
				inDefaults = false
			case "p":
				if justified {
					for _, s := range runSizes {
						l.bodySizes[s] = true
					}
				}
			}
		}
	}
	return l, nil
}

// Check validates an uploaded .docx (handbook draft --check file.docx): the
// components read back by ReadText and handbook.ParseDraftText, checked by
// dr against the knowledge base on the document's own date, followed by the
// page setup and fonts (CheckLayout).
func Check(dr *handbook.Drafter, b []byte) ([]handbook.Finding, error) {
	text, err := ReadText(b)
	if err != nil {
		return nil, err
	}
	d, err := handbook.ParseDraftText(text)
	if err != nil {
		return nil, err
	}
	fs := dr.Check(d, handbook.Date{})
	layout, err := CheckLayout(b)
	if err != nil {
		return nil, err
	}
	return append(fs, layout...), nil
}
