package storage

import (
	"sync"

	"smtplab/classroom"
	"smtplab/sandbox"
)

// Memory keeps everything in memory: a restart forgets it all.
type Memory struct {
	mu     sync.Mutex
	worlds map[string]*sandbox.MemoryStore
	repo   *memRepo
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{worlds: map[string]*sandbox.MemoryStore{}, repo: newMemRepo()}
}

// Mailboxes returns the world's store, a sandbox.MemoryStore.
func (m *Memory) Mailboxes(world string) sandbox.Store {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.worlds[world]
	if !ok {
		s = sandbox.NewMemoryStore()
		m.worlds[world] = s
	}
	return s
}

func (m *Memory) Classroom() classroom.Repo { return m.repo }

// Close does nothing: there is nothing to flush.
func (m *Memory) Close() error { return nil }
