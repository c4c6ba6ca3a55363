package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"sotay/handbook"

	"github.com/labstack/echo/v4"
)

// codes is the only table that turns error codes into HTTP statuses.
var codes = map[handbook.Code]int{
	handbook.Invalid:     http.StatusBadRequest,
	handbook.NotFound:    http.StatusNotFound,
	handbook.Conflict:    http.StatusConflict,
	handbook.Unavailable: http.StatusServiceUnavailable,
	handbook.Internal:    http.StatusInternalServerError,

	handbook.Unauthorized: http.StatusUnauthorized,
	handbook.Forbidden:    http.StatusForbidden,
}

type errorBody struct {
	Error struct {
		Code      handbook.Code `json:"code"`
		Message   string        `json:"message"`
		RequestID string        `json:"request_id,omitempty"`
	} `json:"error"`
}

// handleError is the server's only writer of error responses: JSON under
// /api/, the HTML error page elsewhere.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
		return // the caller went away
	}
	code, msg := handbook.ErrorCode(err), handbook.ErrorMessage(err)
	if he, ok := errors.AsType[*echo.HTTPError](err); ok {
		code, msg = httpErrorCode(he.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		code, msg = handbook.Unavailable, "Yêu cầu xử lý quá lâu, vui lòng thử lại."
	}
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	status := codes[code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if code == handbook.Internal {
		s.log.Error("internal error", "err", err, "path", c.Request().URL.Path, "request_id", reqID)
		msg = "Đã có lỗi xảy ra. Mã tra cứu: " + reqID + "."
	} else {
		s.log.Debug("request error", "code", code, "err", err, "request_id", reqID)
	}
	if code == handbook.Unavailable {
		c.Response().Header().Set("Retry-After", "5")
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") || strings.HasPrefix(c.Request().URL.Path, "/healthz") || strings.HasPrefix(c.Request().URL.Path, "/readyz") {
		var body errorBody
		body.Error.Code, body.Error.Message, body.Error.RequestID = code, msg, reqID
		if err := c.JSON(status, body); err != nil {
			s.log.Warn("write error response", "err", err)
		}
		return
	}
	s.renderError(c, status, msg)
}

func httpErrorCode(status int) (handbook.Code, string) {
	switch status {
	case http.StatusNotFound:
		return handbook.NotFound, "Không tìm thấy nội dung yêu cầu."
	case http.StatusMethodNotAllowed:
		return handbook.Invalid, "Phương thức không được hỗ trợ cho địa chỉ này."
	case http.StatusRequestEntityTooLarge:
		return handbook.Invalid, "Dữ liệu gửi lên quá lớn."
	case http.StatusUnsupportedMediaType:
		return handbook.Invalid, "Định dạng dữ liệu không được hỗ trợ."
	case http.StatusTooManyRequests:
		return handbook.Unavailable, "Quá nhiều yêu cầu, vui lòng thử lại sau."
	case http.StatusForbidden:
		return handbook.Forbidden, "Yêu cầu bị từ chối."
	case http.StatusUnauthorized:
		return handbook.Unauthorized, "Vui lòng đăng nhập để tiếp tục."
	}
	if status >= 500 {
		return handbook.Internal, "Đã có lỗi xảy ra."
	}
	return handbook.Invalid, "Yêu cầu không hợp lệ."
}
