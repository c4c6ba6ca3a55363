package handbook

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// maxHistory is how many previous questions a conversation keeps.
const maxHistory = 3

// Conversations keeps recent conversations in memory, by ID, so that a
// follow-up sent with only a conversation ID stays on its procedure. Entries
// expire after TTL and the oldest are dropped beyond Max: questions may hold
// personal data and are kept no longer than a call lasts. With several
// replicas, clients should send the history with each request instead.
type Conversations struct {
	TTL time.Duration
	Max int
	Now func() time.Time

	mu  sync.Mutex
	m   map[string]conversationEntry
	seq uint64
}

type conversationEntry struct {
	conv Conversation
	seen time.Time
	seq  uint64 // orders entries stored at the same instant
}

// NewConversations returns an empty memory.
func NewConversations(ttl time.Duration, max int) *Conversations {
	return &Conversations{TTL: ttl, Max: max, m: map[string]conversationEntry{}}
}

func (c *Conversations) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Merge completes conv with what the memory holds for conv.ID: the stored
// focus and history are used where conv has none.
func (c *Conversations) Merge(conv Conversation) Conversation {
	if conv.ID == "" {
		return conv
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[conv.Scope+"\x00"+conv.ID]
	if !ok || c.now().Sub(e.seen) > c.TTL {
		return conv
	}
	if conv.Focus == "" {
		conv.Focus = e.conv.Focus
	}
	if len(conv.History) == 0 {
		conv.History = append([]string(nil), e.conv.History...)
	}
	return conv
}

// Put stores conv and returns its ID, a new random one when conv has none.
func (c *Conversations) Put(conv Conversation) string {
	if conv.ID == "" {
		var b [12]byte
		rand.Read(b[:])
		conv.ID = hex.EncodeToString(b[:])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]conversationEntry{}
	}
	now := c.now()
	c.seq++
	c.m[conv.Scope+"\x00"+conv.ID] = conversationEntry{conv: conv, seen: now, seq: c.seq}
	if c.Max > 0 && len(c.m) > c.Max {
		c.evict(now)
	}
	return conv.ID
}

// evict drops expired entries, then the oldest until the memory fits.
func (c *Conversations) evict(now time.Time) {
	for id, e := range c.m {
		if now.Sub(e.seen) > c.TTL {
			delete(c.m, id)
		}
	}
	for len(c.m) > c.Max {
		var oldest string
		var first conversationEntry
		for id, e := range c.m {
			if oldest == "" || e.seen.Before(first.seen) || e.seen.Equal(first.seen) && e.seq < first.seq {
				oldest, first = id, e
			}
		}
		delete(c.m, oldest)
	}
}
