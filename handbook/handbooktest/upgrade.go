package handbooktest

import (
	"context"
	"slices"
	"testing"

	"sotay/handbook"
)

// MigratedStore is a store that lists the migrations applied to it.
type MigratedStore interface {
	handbook.Store
	Migrations(ctx context.Context) ([]string, error)
}

// TestUpgrade checks that a database written by the first release survives
// an upgrade: old is a store with only the first migration applied, reopen
// closes nothing and opens the same database with the current binary, want
// lists every migration the current binary ships.
func TestUpgrade(t *testing.T, old handbook.Store, reopen func() (MigratedStore, error), want []string) {
	t.Helper()
	u := CreateUser(t, old, "lan", handbook.RoleOfficial, "Sở Tư pháp")
	q := LogQuestion(t, old, handbook.Question{Query: "khai sinh"})
	if err := old.CreateTicket(t.Context(), &handbook.Ticket{QuestionID: q.ID, Question: q.Query, Status: handbook.TicketOpen, CreatedBy: u.ID}); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s, err := reopen()
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	got, _ := s.Migrations(t.Context())
	if !slices.Equal(got, want) {
		t.Errorf("Migrations after upgrade = %q, want %q", got, want)
	}
	ts, err := s.Tickets(t.Context(), handbook.TicketFilter{CreatedBy: u.ID})
	if err != nil || len(ts) != 1 {
		t.Errorf("tickets of the first release after upgrade = %v, %v", ts, err)
	}
}
