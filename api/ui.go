package api

import (
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"
)

// routesUI registers the web UI.
func (s *Server) routesUI() {}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Lỗi</title></head><body><h1>{{.Status}}</h1><p>{{.Message}}</p><p><a href="/">Về trang chủ</a></p></body></html>`))

func (s *Server) renderError(c echo.Context, status int, msg string) {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	if err := errorPage.Execute(c.Response(), map[string]any{"Status": status, "Message": msg}); err != nil {
		s.log.Warn("render error page", "err", err)
	}
	_ = http.StatusOK
}
