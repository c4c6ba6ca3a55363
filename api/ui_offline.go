package api

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

type offlinePage struct{ base }

// pageOffline is what the service worker shows for a page that is neither
// reachable nor cached; app.js lists the procedure pages that are cached.
func (s *Server) pageOffline(c echo.Context) error {
	return s.page(c, http.StatusOK, "offline", offlinePage{base{Title: "Không có kết nối mạng"}})
}

// serviceWorker serves /sw.js from the root so that its scope covers every
// page. The static file holds placeholders for the asset version and the
// URLs to precache; they are filled here so that a new binary with new
// assets installs a new worker and drops the old cache.
func (s *Server) serviceWorker(c echo.Context) error {
	f, ok := s.views.static["sw.js"]
	if !ok {
		return echo.ErrNotFound
	}
	var pre []string
	for _, name := range []string{"app.css", "app.js", "icon.svg"} {
		u, err := s.views.asset(name)
		if err != nil {
			return err
		}
		pre = append(pre, `"`+u+`"`)
	}
	pre = append(pre, `"/offline"`)
	body := bytes.ReplaceAll(f.body, []byte("__VERSION__"), []byte(s.views.version))
	body = bytes.ReplaceAll(body, []byte(`"__PRECACHE__"`), []byte(strings.Join(pre, ", ")))
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Service-Worker-Allowed", "/")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", body)
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type urlset struct {
	XMLName xml.Name     `xml:"urlset"`
	XMLNS   string       `xml:"xmlns,attr"`
	URLs    []sitemapURL `xml:"url"`
}

// sitemap lists public, non-archived documents only, whoever asks: a token
// holder's crawler must not publish internal pages either.
func (s *Server) sitemap(c echo.Context) error {
	set := urlset{XMLNS: "http://www.sitemaps.org/schemas/sitemap/0.9"}
	set.URLs = append(set.URLs, sitemapURL{Loc: s.publicURL(c, "/")}, sitemapURL{Loc: s.publicURL(c, "/search")})
	for _, d := range s.library().All() {
		if !listed(d, handbook.AudiencePublic) {
			continue
		}
		set.URLs = append(set.URLs, sitemapURL{Loc: s.publicURL(c, docURL(d.ID, "")), LastMod: d.Reviewed.String()})
	}
	out, err := xml.MarshalIndent(set, "", " ")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "application/xml; charset=utf-8", append([]byte(xml.Header), out...))
}

func (s *Server) robots(c echo.Context) error {
	body := "User-agent: *\nDisallow: /api/\nDisallow: /ask\nDisallow: /drafts\nDisallow: /search\nAllow: /\n\nSitemap: " +
		s.publicURL(c, "/sitemap.xml") + "\n"
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.String(http.StatusOK, body)
}
