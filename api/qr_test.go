package api_test

import (
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decodeQR reads a QR code from an image with a decoder independent of the
// encoder (gozxing, a port of ZXing).
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

func TestQRCodeEncodesPageURL(t *testing.T) {
	const id = "procedures/ho-tich/dang-ky-khai-sinh"
	tests := []struct {
		name, baseURL, host, want string
	}{
		{"base url", "https://sotay.example.gov.vn/", "ignored.example", "https://sotay.example.gov.vn/docs/" + id},
		{"from request", "", "192.168.1.20:8080", "http://192.168.1.20:8080/docs/" + id},
	}
	lib := uiLibrary(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := uiServer(t, lib, tc.baseURL).Handler()
			req := httptest.NewRequest(http.MethodGet, "/api/v1/procedures/"+id+"/qr.png", nil)
			req.Host = tc.host
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" {
				t.Fatalf("GET qr.png = %d %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			img, err := png.Decode(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got := decodeQR(t, img); got != tc.want {
				t.Errorf("qr.png decodes to %q, want %q", got, tc.want)
			}

			req = httptest.NewRequest(http.MethodGet, "/api/v1/procedures/"+id+"/qr.svg", nil)
			req.Host = tc.host
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" {
				t.Fatalf("GET qr.svg = %d %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			if got := decodeQR(t, rasterSVG(t, rec.Body.Bytes(), 6)); got != tc.want {
				t.Errorf("qr.svg decodes to %q, want %q", got, tc.want)
			}
		})
	}
}

func TestQRCodeErrors(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "https://sotay.example.gov.vn").Handler()
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/api/v1/procedures/procedures/ho-tich/dang-ky-khai-sinh/qr.png?size=256", 200},
		{"/api/v1/procedures/procedures/ho-tich/dang-ky-khai-sinh/qr.png?size=9", 400},
		{"/api/v1/procedures/procedures/ho-tich/dang-ky-khai-sinh/qr.gif", 404},
		{"/api/v1/procedures/procedures/khong-co/qr.png", 404},
		{"/api/v1/procedures/ho-tich/dang-ky-khai-sinh/qr.svg", 200},     // the id without its folder
		{"/api/v1/procedures/regulations/luat-ho-tich-2014/qr.png", 404}, // not a procedure
		{"/api/v1/procedures/../regulations/luat-ho-tich-2014/qr.png", 404},
		{"/api/v1/procedures/", 404},
	} {
		rec := uiGet(t, h, tc.path, "")
		if rec.Code != tc.status {
			t.Errorf("GET %s = %d, want %d", tc.path, rec.Code, tc.status)
		}
		if rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("GET %s: error is not JSON: %s", tc.path, rec.Body)
		}
	}
	rec := uiGet(t, h, "/api/v1/procedures/procedures/ho-tich/dang-ky-khai-sinh/qr.png?size=256", "")
	if img, err := png.Decode(rec.Body); err != nil || img.Bounds().Dx() != 256 {
		t.Errorf("size=256 gives %v, %v", img.Bounds(), err)
	}
	// A public procedure's code may be kept by the service worker and
	// shared caches; an internal one's is private to the official.
	if cc := uiGet(t, h, "/api/v1/procedures/procedures/ho-tich/dang-ky-khai-sinh/qr.svg", "").Header().Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("public QR Cache-Control = %q", cc)
	}
	if cc := uiGet(t, h, "/api/v1/procedures/procedures/noi-bo/quy-trinh-zebraquartz/qr.svg", uiToken).Header().Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
		t.Errorf("internal QR Cache-Control = %q", cc)
	}
}

func TestQRSheet(t *testing.T) {
	h := uiServer(t, uiLibrary(t), "https://sotay.example.gov.vn").Handler()
	body := uiGet(t, h, "/qr/sheet?field=H%E1%BB%99+t%E1%BB%8Bch", "").Body.String()
	cards := regexp.MustCompile(`(?s)<li class="qr-card">(.*?)</li>`).FindAllStringSubmatch(body, -1)
	if len(cards) != 2 {
		t.Fatalf("Hộ tịch sheet has %d cards, want 2", len(cards))
	}
	for _, want := range []string{
		`<img src="/api/v1/procedures/procedures/ho-tich/dang-ky-khai-sinh/qr.svg" alt="Mã QR: Đăng ký khai sinh"`,
		`<p class="code">Mã thủ tục: 1.001193</p>`, `<p class="hotline">Hỗ trợ: Tổng đài hỗ trợ của Sở Tư pháp</p>`,
		`<p class="url">https://sotay.example.gov.vn/docs/procedures/ho-tich/dang-ky-khai-sinh</p>`,
	} {
		if !strings.Contains(cards[0][1]+cards[1][1], want) {
			t.Errorf("sheet lacks %s", want)
		}
	}
	byAgency := uiGet(t, h, "/qr/sheet?agency=C%C3%B4ng+an+c%E1%BA%A5p+x%C3%A3", "").Body.String()
	if n := strings.Count(byAgency, `<li class="qr-card">`); n != 1 || !strings.Contains(byAgency, "Đăng ký thường trú") {
		t.Errorf("Công an cấp xã sheet has %d cards", n)
	}
}

// rasterSVG paints the path of a served QR SVG onto a white image, scale
// pixels per module. The path is a stroke one module wide along each run
// of dark modules: "M x y.5" starts a row, "m dx 0" skips light modules,
// "h w" draws w dark ones.
func rasterSVG(t *testing.T, svg []byte, scale int) image.Image {
	t.Helper()
	var doc struct {
		ViewBox string `xml:"viewBox,attr"`
		Path    struct {
			D      string `xml:"d,attr"`
			Stroke string `xml:"stroke,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("qr.svg is not well-formed XML: %v", err)
	}
	f := strings.Fields(doc.ViewBox)
	if len(f) != 4 {
		t.Fatalf("viewBox %q", doc.ViewBox)
	}
	if doc.Path.Stroke != "#000" {
		t.Fatalf("path stroke = %q, want #000", doc.Path.Stroke)
	}
	n, _ := strconv.Atoi(f[2])
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	cmd := regexp.MustCompile(`([Mmh])(-?\d+(?:\.\d+)?)(?: (-?\d+(?:\.\d+)?))?`)
	cmds := cmd.FindAllStringSubmatch(doc.Path.D, -1)
	if len(cmds) == 0 || strings.Join(flatten(cmds), "") != doc.Path.D {
		t.Fatalf("path %.80q is not made of M, m and h commands", doc.Path.D)
	}
	var x, y float64
	for _, c := range cmds {
		a, _ := strconv.ParseFloat(c[2], 64)
		b, _ := strconv.ParseFloat(c[3], 64)
		switch c[1] {
		case "M":
			x, y = a, b
		case "m":
			x, y = x+a, y+b
		case "h":
			row := int(y) // the stroke is centred on y: it covers [y-.5, y+.5)
			for py := row * scale; py < (row+1)*scale; py++ {
				for px := int(x) * scale; px < int(x+a)*scale; px++ {
					img.Set(px, py, color.Black)
				}
			}
			x += a
		}
	}
	return img
}

func flatten(m [][]string) []string {
	out := make([]string, len(m))
	for i, s := range m {
		out[i] = s[0]
	}
	return out
}
