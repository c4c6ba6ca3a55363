package handbook_test

import (
	"testing"
	"time"

	"sotay/handbook"
)

// TestConversationsAreScopedByAudience: an official's conversation id
// replayed by a public caller gives back none of the official's history.
func TestConversationsAreScopedByAudience(t *testing.T) {
	m := handbook.NewConversations(time.Hour, 10)
	id := m.Put(handbook.Conversation{Scope: "internal", Focus: "technology/noi-bo", History: []string{"mã khẩn cấp là gì"}})
	if got := m.Merge(handbook.Conversation{ID: id, Scope: "public"}); got.Focus != "" || len(got.History) != 0 {
		t.Errorf("public caller got the official's conversation: %+v", got)
	}
	if got := m.Merge(handbook.Conversation{ID: id, Scope: "internal"}); got.Focus != "technology/noi-bo" || len(got.History) != 1 {
		t.Errorf("official lost their own conversation: %+v", got)
	}
}
