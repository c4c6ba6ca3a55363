package handbook

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a caller may do. Anonymous callers are RolePublic; accounts
// are official, editor or admin (DESIGN.md, "Hotline loop and access").
type Role string

// Roles, from least to most privileged.
const (
	RolePublic   Role = "public"
	RoleOfficial Role = "official"
	RoleEditor   Role = "editor"
	RoleAdmin    Role = "admin"
)

// Roles lists every role, least privileged first.
var Roles = []Role{RolePublic, RoleOfficial, RoleEditor, RoleAdmin}

func (r Role) rank() int {
	switch r {
	case RoleOfficial:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// ParseRole parses a role name; accounts cannot be public, so "public" is
// accepted only for completeness of the log and filters.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	for _, x := range Roles {
		if r == x {
			return r, nil
		}
	}
	return "", Errorf(Invalid, "Vai trò phải là official, editor hoặc admin.", "unknown role %q", s)
}

// AtLeast reports whether r has at least the privileges of min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

// Audience is the content a role may read: officials and above see
// internal documents, everyone else public ones only.
func (r Role) Audience() Audience {
	if r.AtLeast(RoleOfficial) {
		return AudienceInternal
	}
	return AudiencePublic
}

// Label is the role's Vietnamese name.
func (r Role) Label() string {
	switch r {
	case RoleOfficial:
		return "Công chức"
	case RoleEditor:
		return "Biên tập viên"
	case RoleAdmin:
		return "Quản trị viên"
	}
	return "Khách"
}

// User is a local account. PasswordHash is a bcrypt hash made by api; the
// domain never sees a password.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	// Department is the unit the user answers for (a document's owner,
	// e.g. "Sở Tư pháp"); tickets routed there are theirs.
	Department   string    `json:"department,omitempty"`
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled,omitempty"`
	Created      time.Time `json:"created"`
}

// DisplayName is the user's name, or the username when it has none.
func (u *User) DisplayName() string {
	if u == nil {
		return ""
	}
	if u.Name != "" {
		return u.Name
	}
	return u.Username
}

// RoleOf returns the role of u; nil (anonymous) is RolePublic.
func RoleOf(u *User) Role {
	if u == nil || u.Disabled {
		return RolePublic
	}
	return u.Role
}

// NormalizeUsername lower-cases and trims a username.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateUser checks a user before it is stored.
func ValidateUser(u *User) error {
	u.Username = NormalizeUsername(u.Username)
	u.Name = NormalizeLine(u.Name)
	u.Department = NormalizeLine(u.Department)
	if n := len(u.Username); n < 2 || n > 64 {
		return Errorf(Invalid, "Tên đăng nhập phải dài từ 2 đến 64 ký tự.", "username of %d bytes", n)
	}
	for _, r := range u.Username {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@') {
			return Errorf(Invalid, "Tên đăng nhập chỉ gồm chữ không dấu, số và . _ - @.", "bad username %q", u.Username)
		}
	}
	if u.Role == RolePublic || u.Role.rank() == 0 {
		return Errorf(Invalid, "Vai trò phải là official, editor hoặc admin.", "bad account role %q", u.Role)
	}
	if utf8.RuneCountInString(u.Name) > 200 || utf8.RuneCountInString(u.Department) > 200 {
		return Errorf(Invalid, "Họ tên hoặc đơn vị quá dài.", "name or department too long")
	}
	return nil
}

// Session is a signed-in browser. Hash is the SHA-256 of the cookie value:
// the value itself is never stored, so a copy of the database cannot be
// used to sign in.
type Session struct {
	Hash    string
	UserID  int64
	Created time.Time
	Expires time.Time
}

// APIToken is an API token for integrations. Like sessions, only its hash is
// stored; the secret is shown once when it is made.
type APIToken struct {
	ID      int64     `json:"id"`
	UserID  int64     `json:"user_id"`
	Name    string    `json:"name"`
	Hash    string    `json:"-"`
	Created time.Time `json:"created"`
}

// NewSecret returns a random secret for a cookie or a token, and its hash.
func NewSecret() (secret, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a session or token secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Question sources.
const (
	SourceSearch = "search"
	SourceAsk    = "ask"
	// SourceTicket marks a question typed straight into a new ticket.
	SourceTicket = "ticket"
)

// Question is one entry of the question log: a search or a question as it
// was asked, with what the handbook found. Query and comments are masked
// (MaskPII) before they are stored.
type Question struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Source string    `json:"source"` // SourceSearch or SourceAsk
	Query  string    `json:"query"`
	// Results are the top results as "doc#anchor", best first (at most 5).
	Results    []string      `json:"results"`
	Hits       int           `json:"hits"`
	Answerable bool          `json:"answerable"`
	Latency    time.Duration `json:"latency"`
	Role       Role          `json:"role"`
	UserID     int64         `json:"user_id,omitempty"`
	// Field and Department come from the best result: the procedure's
	// field (lĩnh vực) and the owner of the document.
	Field      string `json:"field,omitempty"`
	Department string `json:"department,omitempty"`
}

// Feedback is a reader's verdict on an answer or a search.
type Feedback struct {
	ID         int64     `json:"id"`
	QuestionID int64     `json:"question_id"`
	Useful     bool      `json:"useful"`
	Comment    string    `json:"comment,omitempty"`
	Role       Role      `json:"role"`
	UserID     int64     `json:"user_id,omitempty"`
	Time       time.Time `json:"time"`
}

// TicketStatus is where a ticket is in the hotline loop.
type TicketStatus string

// Ticket statuses: open (waiting for the department), answered (the
// department replied), promoted (an editor made it an FAQ page), closed
// (no FAQ will come of it).
const (
	TicketOpen     TicketStatus = "open"
	TicketAnswered TicketStatus = "answered"
	TicketPromoted TicketStatus = "promoted"
	TicketClosed   TicketStatus = "closed"
)

// TicketStatuses lists every status.
var TicketStatuses = []TicketStatus{TicketOpen, TicketAnswered, TicketPromoted, TicketClosed}

// Label is the status's Vietnamese name.
func (s TicketStatus) Label() string {
	switch s {
	case TicketOpen:
		return "Chờ trả lời"
	case TicketAnswered:
		return "Đã trả lời"
	case TicketPromoted:
		return "Đã đưa vào hỏi đáp"
	case TicketClosed:
		return "Đã đóng"
	}
	return string(s)
}

// Ticket is a question the handbook could not answer, routed to the
// department that owns the subject.
type Ticket struct {
	ID         int64        `json:"id"`
	QuestionID int64        `json:"question_id,omitempty"`
	Question   string       `json:"question"`
	Note       string       `json:"note,omitempty"`
	Status     TicketStatus `json:"status"`
	Department string       `json:"department,omitempty"`
	Field      string       `json:"field,omitempty"`
	AssigneeID int64        `json:"assignee_id,omitempty"`
	Assignee   string       `json:"assignee,omitempty"`
	Due        Date         `json:"due"`
	Answer     string       `json:"answer,omitempty"`
	Citations  []Reference  `json:"citations,omitempty"`
	AnsweredBy string       `json:"answered_by,omitempty"`
	// FAQ is the id of the FAQ page made from the ticket.
	FAQ       string        `json:"faq,omitempty"`
	CreatedBy int64         `json:"created_by,omitempty"`
	Created   time.Time     `json:"created"`
	Updated   time.Time     `json:"updated"`
	Version   int           `json:"version"`
	History   []TicketEvent `json:"history,omitempty"`
}

// Overdue reports whether the ticket waits for an answer past its due date.
func (t *Ticket) Overdue(today Date) bool {
	return t.Status == TicketOpen && t.Due.IsSet() && t.Due.Before(today.Time)
}

// TicketEvent is one line of a ticket's history.
type TicketEvent struct {
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Note   string    `json:"note,omitempty"`
}

// TicketFilter selects tickets. Zero fields match everything.
type TicketFilter struct {
	Status     []TicketStatus
	Department string
	AssigneeID int64
	QuestionID int64
	// CreatedBy selects the tickets a user opened (the operator who sent
	// the question follows its answer).
	CreatedBy int64
	Limit     int // default 200
}

// Promotion records an FAQ page made from a ticket.
type Promotion struct {
	ID       int64     `json:"id"`
	TicketID int64     `json:"ticket_id"`
	DocID    string    `json:"doc"`
	EditorID int64     `json:"editor_id"`
	Reviewer string    `json:"reviewer"`
	Reviewed Date      `json:"reviewed"`
	Expires  Date      `json:"expires"`
	Created  time.Time `json:"created"`
}

// Store persists what users create: accounts, sessions, API tokens, the
// question log, feedback, tickets and promotions. Implementations set
// Created/Time fields that are zero from their own clock, and return errors
// that wrap ErrNotFound and ErrConflict as documented; anything else is
// Unavailable (database unreachable) or Internal.
type Store interface {
	// CreateUser stores u and sets its ID and Created. ErrConflict when
	// the username is taken.
	CreateUser(ctx context.Context, u *User) error
	// User returns the user with the given id. ErrNotFound.
	User(ctx context.Context, id int64) (*User, error)
	// UserByName returns the user with the given (normalised) username. ErrNotFound.
	UserByName(ctx context.Context, username string) (*User, error)
	// UpdateUser saves name, role, department, password hash and the
	// disabled flag. ErrNotFound.
	UpdateUser(ctx context.Context, u *User) error
	// Users lists every account by username.
	Users(ctx context.Context) ([]*User, error)

	// CreateSession stores s (and drops expired sessions).
	CreateSession(ctx context.Context, s *Session) error
	// SessionUser returns the user of the live session with the given
	// hash. ErrNotFound when the session is unknown, expired or its user
	// disabled.
	SessionUser(ctx context.Context, hash string) (*User, *Session, error)
	// DeleteSession removes a session; removing an unknown one is no error.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions signs a user out everywhere.
	DeleteUserSessions(ctx context.Context, userID int64) error

	// CreateToken stores t and sets its ID and Created. ErrNotFound when
	// the user does not exist.
	CreateToken(ctx context.Context, t *APIToken) error
	// TokenUser returns the user of the token with the given hash.
	// ErrNotFound when unknown or the user is disabled.
	TokenUser(ctx context.Context, hash string) (*User, error)
	// Tokens lists a user's tokens, oldest first.
	Tokens(ctx context.Context, userID int64) ([]*APIToken, error)
	// DeleteToken removes one of a user's tokens. ErrNotFound.
	DeleteToken(ctx context.Context, userID, id int64) error

	// LogQuestion stores q and sets its ID (and Time when zero).
	LogQuestion(ctx context.Context, q *Question) error
	// Question returns one log entry. ErrNotFound.
	Question(ctx context.Context, id int64) (*Question, error)
	// Questions calls fn for each entry with from <= Time < to, oldest
	// first; an error from fn stops the walk and is returned.
	Questions(ctx context.Context, from, to time.Time, fn func(*Question) error) error

	// AddFeedback stores f and sets its ID. ErrNotFound when the question
	// does not exist.
	AddFeedback(ctx context.Context, f *Feedback) error
	// Feedback lists feedback with from <= Time < to, oldest first.
	Feedback(ctx context.Context, from, to time.Time) ([]*Feedback, error)

	// CreateTicket stores t with its History and sets ID, Created, Updated
	// and Version (1).
	CreateTicket(ctx context.Context, t *Ticket) error
	// Ticket returns a ticket with its history, oldest event first. ErrNotFound.
	Ticket(ctx context.Context, id int64) (*Ticket, error)
	// Tickets lists tickets matching f, without history: open ones first,
	// then by due date and id.
	Tickets(ctx context.Context, f TicketFilter) ([]*Ticket, error)
	// UpdateTicket saves t's mutable fields and appends e to its history,
	// if t.Version is still the stored version; it then increments
	// t.Version and sets Updated. ErrConflict when someone saved the ticket
	// in between, ErrNotFound when it does not exist.
	UpdateTicket(ctx context.Context, t *Ticket, e TicketEvent) error

	// AddPromotion stores p and sets its ID and Created.
	AddPromotion(ctx context.Context, p *Promotion) error
	// Promotions lists every promotion, oldest first.
	Promotions(ctx context.Context) ([]*Promotion, error)

	// AddLoginFailure counts a failed sign-in under key (an opaque hash)
	// at time at and returns the new count: it restarts at 1 when the
	// previous failure under key is window or more before at. Counts whose
	// last failure is window or more before at are dropped. Replicas that
	// share the store share the counts, so guesses spread over them add up.
	AddLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) (int, error)
	// LoginFailures returns the count under key and the time of its last
	// failure; 0 and the zero time when there is none.
	LoginFailures(ctx context.Context, key string) (int, time.Time, error)
	// ClearLoginFailures forgets key (after a successful sign-in).
	ClearLoginFailures(ctx context.Context, key string) error

	Close() error
}

// CheckMigrations compares the migrations a database has applied (file
// names) with the ones this binary carries (paths or names): a database
// that lists one this binary lacks was upgraded by a newer handbook, and
// running on it could corrupt data, so both stores refuse to open it.
// Names with a "/" are other packages' ("pgvector/0001_init.sql", which
// shares the PostgreSQL table) and are not compared.
func CheckMigrations(applied, known []string) error {
	have := map[string]bool{}
	for _, k := range known {
		have[path.Base(k)] = true
	}
	for _, a := range applied {
		if !have[a] && !strings.Contains(a, "/") {
			return Errorf(Conflict,
				"Cơ sở dữ liệu đã được nâng cấp bởi một phiên bản Sổ tay mới hơn (bước "+a+"). Hãy chạy phiên bản mới hơn, hoặc khôi phục bản sao lưu trước khi nâng cấp.",
				"database has migration %s that this binary does not know", a)
		}
	}
	return nil
}
