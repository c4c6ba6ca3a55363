package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// qrLevel is the error correction of the codes: Medium (15%) survives a
// worn or partly covered sticker on a counter while keeping a URL of
// ~80 characters at version 5–6, large modules, easy for old phones.
const qrLevel = qrcode.Medium

// apiProcedureQR serves GET /api/v1/procedures/{id...}/qr.png and qr.svg:
// a QR code of the procedure's public page, {base-url}/docs/{id}. The id
// is the document id ("procedures/ho-tich/dang-ky-khai-sinh") or the same
// without "procedures/".
// Internal procedures are not found for public callers, like everywhere.
func (s *Server) apiProcedureQR(c echo.Context) error {
	rest := strings.Trim(c.Param("*"), "/")
	id, format := "", ""
	for _, ext := range []string{"png", "svg"} {
		if p, ok := strings.CutSuffix(rest, "/qr."+ext); ok {
			id, format = p, ext
		}
	}
	if id == "" {
		return echo.ErrNotFound
	}
	size := 512
	if v := c.QueryParam("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 64 || n > 2048 {
			return handbook.Errorf(handbook.Invalid, "Tham số size phải là số từ 64 đến 2048.", "bad qr size %q", v)
		}
		size = n
	}
	if !strings.HasPrefix(id, "procedures/") {
		// The id may be given without its folder, as in
		// /api/v1/procedures/ho-tich/dang-ky-khai-sinh/qr.png.
		id = "procedures/" + id
	}
	d, err := s.doc(c, id)
	if err != nil {
		return err
	}
	if d.Kind != handbook.KindProcedure {
		return handbook.Errorf(handbook.NotFound, "Không tìm thấy nội dung yêu cầu.", "qr for %s: not a procedure", id)
	}
	target := s.publicURL(c, docURL(d.ID, ""))
	q, err := qrcode.New(target, qrLevel)
	if err != nil {
		return fmt.Errorf("encode qr for %s: %w", d.ID, err)
	}
	h := c.Response().Header()
	// A public procedure's code is the same for everyone, and the service
	// worker keeps it with the page only when it is not private; an
	// internal one's is for the official who asked.
	if d.Audience == handbook.AudienceInternal {
		h.Set("Cache-Control", "private, max-age=3600")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	h.Set("Vary", "Authorization")
	if format == "svg" {
		return c.Blob(http.StatusOK, "image/svg+xml", qrSVG(q.Bitmap(), target))
	}
	png, err := q.PNG(size)
	if err != nil {
		return fmt.Errorf("draw qr png for %s: %w", d.ID, err)
	}
	return c.Blob(http.StatusOK, "image/png", png)
}

// qrSVG draws a QR bitmap (quiet zone included) as one SVG path: each
// horizontal run of dark modules is a stroke one module wide, drawn with
// relative moves along its row ("M4 4.5h7m2 0h1…"). That is about 3 KB for a
// procedure URL, half of drawing each run as a closed rectangle, which
// matters on a QR sheet of a whole field; it stays sharp at any print size.
func qrSVG(bm [][]bool, title string) []byte {
	n := len(bm)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges" role="img">`, n, n, n*8, n*8)
	b.WriteString("<title>")
	xmlEscape(&b, title)
	b.WriteString("</title>")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path stroke="#000" d="`, n, n)
	for y, row := range bm {
		pen := -1 // x of the pen after the last run of this row
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			w := 0
			for x+w < len(row) && row[x+w] {
				w++
			}
			if pen < 0 {
				fmt.Fprintf(&b, "M%d %d.5h%d", x, y, w)
			} else {
				fmt.Fprintf(&b, "m%d 0h%d", x-pen, w)
			}
			pen = x + w
			x += w
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String())
}

func xmlEscape(b *strings.Builder, s string) {
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
}

type qrSheetPage struct {
	base
	Field, Agency string
	Fields        []string
	Agencies      []string
	Cards         []qrCard
	// Chosen is set when a field or an agency was chosen.
	Chosen bool
	Today  string
}

type qrCard struct {
	Title, Code, Hotline, URL, QR, Page string
}

// pageQRSheet renders /qr/sheet?field= or ?agency=: a printable A4 sheet of
// QR cards (title, code, QR, hotline) for the one-stop desk. Without a
// choice it shows the form.
func (s *Server) pageQRSheet(c echo.Context) error {
	a := callerAudience(c)
	data := qrSheetPage{
		base:   base{Title: "Tờ mã QR cho bộ phận một cửa", Nav: "qr"},
		Field:  strings.TrimSpace(c.QueryParam("field")),
		Agency: strings.TrimSpace(c.QueryParam("agency")),
		Fields: s.fieldNames(a),
		Today:  handbook.Today(s.opt.Now()).Vietnamese(),
	}
	agencies := map[string]bool{}
	for _, d := range s.library().All() {
		if d.Kind == handbook.KindProcedure && listed(d, a) && d.Procedure.Agency != "" {
			agencies[d.Procedure.Agency] = true
		}
	}
	for ag := range agencies {
		data.Agencies = append(data.Agencies, ag)
	}
	col := collate.New(language.Vietnamese)
	slices.SortFunc(data.Agencies, col.CompareString)
	data.Chosen = data.Field != "" || data.Agency != ""
	if !data.Chosen {
		return s.page(c, http.StatusOK, "qr_sheet", data)
	}
	switch {
	case data.Field != "" && data.Agency != "":
		data.Title = "Mã QR: " + data.Field + " – " + data.Agency
	case data.Field != "":
		data.Title = "Mã QR thủ tục lĩnh vực " + data.Field
	default:
		data.Title = "Mã QR thủ tục của " + data.Agency
	}
	for _, g := range s.procedureFields(a, func(d *handbook.Document) bool {
		return (data.Field == "" || handbook.Fold(d.Field()) == handbook.Fold(data.Field)) &&
			(data.Agency == "" || handbook.Fold(d.Procedure.Agency) == handbook.Fold(data.Agency))
	}) {
		for _, it := range g.Items {
			d, _ := s.library().Doc(it.ID)
			data.Cards = append(data.Cards, qrCard{
				Title: d.Title, Code: d.Procedure.Code, Hotline: d.Procedure.Hotline,
				URL: s.publicURL(c, it.URL), Page: it.URL, QR: "/api/v1/procedures/" + d.ID + "/qr.svg",
			})
		}
	}
	status := http.StatusOK
	if len(data.Cards) == 0 {
		status = http.StatusNotFound
	}
	return s.page(c, status, "qr_sheet", data)
}
