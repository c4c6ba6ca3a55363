package handbook

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers; api maps codes to HTTP statuses.
type Code string

// Error codes. They are stable strings because they appear in JSON responses.
const (
	Invalid     Code = "invalid"
	NotFound    Code = "not_found"
	Conflict    Code = "conflict"
	Unavailable Code = "unavailable"
	Internal    Code = "internal"
	// Unauthorized: the caller must sign in first (401).
	Unauthorized Code = "unauthorized"
	// Forbidden: the caller is signed in but may not do this, or a form
	// came without its CSRF token (403).
	Forbidden Code = "forbidden"
)

// Sentinels that adapters wrap; ErrorCode maps them to codes.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("unavailable")
	ErrInvalid     = errors.New("invalid")
)

// Error is a domain error: Message is Vietnamese, for the user; Err is the
// English cause, for logs. Error() never returns the Vietnamese text.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a Vietnamese message and an English cause.
func Errorf(code Code, message string, format string, args ...any) *Error {
	return &Error{Code: code, Message: message, Err: fmt.Errorf(format, args...)}
}

// ErrorCode returns the code of err; anything unknown is Internal.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return NotFound
	case errors.Is(err, ErrConflict):
		return Conflict
	case errors.Is(err, ErrUnavailable):
		return Unavailable
	case errors.Is(err, ErrInvalid):
		return Invalid
	}
	return Internal
}

var defaultMessages = map[Code]string{
	Invalid:     "Yêu cầu không hợp lệ.",
	NotFound:    "Không tìm thấy nội dung yêu cầu.",
	Conflict:    "Chỉ mục cần được xây dựng lại.",
	Unavailable: "Hệ thống tạm thời không phản hồi, vui lòng thử lại sau.",
	Internal:    "Đã có lỗi xảy ra.",

	Unauthorized: "Vui lòng đăng nhập để tiếp tục.",
	Forbidden:    "Bạn không có quyền thực hiện thao tác này.",
}

// ErrorMessage returns the Vietnamese message for err: the one set on an
// *Error (except for Internal errors, whose detail users never see), or the
// default for its code.
func ErrorMessage(err error) string {
	code := ErrorCode(err)
	if e, ok := errors.AsType[*Error](err); ok && e.Message != "" && code != Internal {
		return e.Message
	}
	return defaultMessages[code]
}
