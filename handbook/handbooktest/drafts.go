package handbooktest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"sotay/handbook"
)

// Clock is a settable time source for stores under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestDraftStore checks the DraftStore contract. open must return an empty
// store whose clock is now, and register its own cleanup with t.Cleanup.
func TestDraftStore(t *testing.T, open func(t *testing.T, now func() time.Time) handbook.DraftStore) {
	t.Run("PutAndGet", func(t *testing.T) {
		clk := NewClock(day)
		s := open(t, clk.Now)
		ctx := t.Context()
		d := &handbook.StoredDraft{ID: "AAAAAAAAAAAAAAAAAAAAAAAAAA", Draft: []byte(`{"doc_type":"Công văn","issuer":["ỦY BAN NHÂN DÂN"]}`),
			Request: []byte(`{"template":"cong-van"}`), Expires: day.Add(24 * time.Hour)}
		must(t, "PutDraft", s.PutDraft(ctx, d))
		if !d.Created.Equal(day) {
			t.Errorf("Created = %v, want the store's clock %v", d.Created, day)
		}
		got, err := s.StoredDraft(ctx, d.ID)
		must(t, "StoredDraft", err)
		if got.ID != d.ID || string(got.Draft) != string(d.Draft) || string(got.Request) != string(d.Request) ||
			!got.Created.Equal(day) || !got.Expires.Equal(d.Expires) {
			t.Errorf("StoredDraft = %+v, want %+v", got, d)
		}
		wantCode(t, "PutDraft(same id)", s.PutDraft(ctx, &handbook.StoredDraft{ID: d.ID, Draft: []byte("{}"), Request: []byte("{}"),
			Expires: day.Add(time.Hour)}), handbook.Conflict)
		_, err = s.StoredDraft(ctx, "BBBBBBBBBBBBBBBBBBBBBBBBBB")
		wantCode(t, "StoredDraft(unknown)", err, handbook.NotFound)
	})
	t.Run("Expiry", func(t *testing.T) {
		clk := NewClock(day)
		s := open(t, clk.Now)
		ctx := t.Context()
		old := &handbook.StoredDraft{ID: "CCCCCCCCCCCCCCCCCCCCCCCCCC", Draft: []byte("{}"), Request: []byte("{}"), Expires: day.Add(time.Hour)}
		must(t, "PutDraft", s.PutDraft(ctx, old))
		clk.Set(day.Add(time.Hour))
		_, err := s.StoredDraft(ctx, old.ID)
		wantCode(t, "StoredDraft(expired)", err, handbook.NotFound)
		// The next put deletes it: back in time, it is gone all the same.
		must(t, "PutDraft", s.PutDraft(ctx, &handbook.StoredDraft{ID: "DDDDDDDDDDDDDDDDDDDDDDDDDD", Draft: []byte("{}"), Request: []byte("{}"),
			Expires: day.Add(25 * time.Hour)}))
		clk.Set(day)
		_, err = s.StoredDraft(ctx, old.ID)
		wantCode(t, "StoredDraft(expired, after a put)", err, handbook.NotFound)
		if _, err := s.StoredDraft(ctx, "DDDDDDDDDDDDDDDDDDDDDDDDDD"); err != nil {
			t.Errorf("StoredDraft(live) error = %v", err)
		}
	})
	t.Run("HonoursCancelledContext", func(t *testing.T) {
		s := open(t, NewClock(day).Now)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.StoredDraft(ctx, "AAAAAAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, context.Canceled) {
			t.Errorf("StoredDraft(cancelled ctx) error = %v, want context.Canceled", err)
		}
	})
}
