package storage

import (
	"cmp"
	"slices"
	"sync"

	"smtplab/classroom"
)

// memRepo is a classroom.Repo held in memory. It orders what it returns the
// way the SQLite repository does, so that the two pass the same tests.
type memRepo struct {
	mu       sync.Mutex
	seq      uint64 // arrival order of steps and hits, for equal times
	classes  map[string]classroom.Class
	students map[string]classroom.Student
	steps    map[string][]memStep // by student
	lines    map[string][]classroom.Line
	hits     map[string][]memHit
}

type memStep struct {
	seq  uint64
	step classroom.Step
}

type memHit struct {
	seq uint64
	hit classroom.Hit
}

func newMemRepo() *memRepo {
	return &memRepo{
		classes:  map[string]classroom.Class{},
		students: map[string]classroom.Student{},
		steps:    map[string][]memStep{},
		lines:    map[string][]classroom.Line{},
		hits:     map[string][]memHit{},
	}
}

func (r *memRepo) SaveClass(c classroom.Class) error {
	c.Lessons = slices.Clone(c.Lessons)
	r.mu.Lock()
	r.classes[c.ID] = c
	r.mu.Unlock()
	return nil
}

func (r *memRepo) Classes() ([]classroom.Class, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]classroom.Class, 0, len(r.classes))
	for _, c := range r.classes {
		c.Lessons = slices.Clone(c.Lessons)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b classroom.Class) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (r *memRepo) SaveStudent(s classroom.Student) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.classes[s.ClassID]; !ok {
		return classroom.ErrNotFound
	}
	r.students[s.ID] = s
	return nil
}

func (r *memRepo) RemoveStudent(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.students[id]; !ok {
		return classroom.ErrNotFound
	}
	delete(r.students, id)
	delete(r.steps, id)
	delete(r.lines, id)
	delete(r.hits, id)
	return nil
}

func (r *memRepo) Students(classID string) ([]classroom.Student, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []classroom.Student{}
	for _, s := range r.students {
		if s.ClassID == classID {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b classroom.Student) int {
		return cmp.Or(a.Joined.Compare(b.Joined), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// inClass lists the ids of a class's students; r.mu is held.
func (r *memRepo) inClass(classID string) []string {
	var ids []string
	for id, s := range r.students {
		if s.ClassID == classID {
			ids = append(ids, id)
		}
	}
	return ids
}
