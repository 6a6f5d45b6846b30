package storage

import (
	"cmp"
	"slices"

	"smtplab/classroom"
)

// What students did, in memory: steps, transcript lines, hits.

func (r *memRepo) AddStep(s classroom.Step) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.students[s.StudentID]; !ok {
		return classroom.ErrNotFound
	}
	for _, old := range r.steps[s.StudentID] {
		if old.step.Lesson == s.Lesson && old.step.Step == s.Step {
			return nil // the first time counts
		}
	}
	r.seq++
	r.steps[s.StudentID] = append(r.steps[s.StudentID], memStep{r.seq, s})
	return nil
}

func (r *memRepo) Steps(classID string) ([]classroom.Step, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []memStep
	for _, id := range r.inClass(classID) {
		all = append(all, r.steps[id]...)
	}
	slices.SortFunc(all, func(a, b memStep) int {
		return cmp.Or(a.step.At.Compare(b.step.At), cmp.Compare(a.seq, b.seq))
	})
	out := make([]classroom.Step, 0, len(all))
	for _, s := range all {
		out = append(out, s.step)
	}
	return out, nil
}

func (r *memRepo) ClearSteps(studentID, lesson string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps[studentID] = slices.DeleteFunc(r.steps[studentID], func(s memStep) bool {
		return s.step.Lesson == lesson
	})
	return nil
}

func (r *memRepo) AppendLines(studentID string, lines []classroom.Line) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.students[studentID]; !ok {
		return classroom.ErrNotFound
	}
	kept := r.lines[studentID]
	for _, l := range lines {
		l.Text = cutLine(l.Text)
		kept = append(kept, l)
	}
	// Re-slicing drops the oldest in O(1); the next append that grows
	// the slice copies only the kept lines.
	if over := len(kept) - classroom.MaxTranscriptLines; over > 0 {
		kept = kept[over:]
	}
	r.lines[studentID] = kept
	return nil
}

func (r *memRepo) Lines(studentID string) ([]classroom.Line, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]classroom.Line{}, r.lines[studentID]...), nil
}

func (r *memRepo) AddHit(h classroom.Hit) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.students[h.StudentID]; !ok {
		return classroom.ErrNotFound
	}
	r.seq++
	kept := append(r.hits[h.StudentID], memHit{r.seq, h})
	if over := len(kept) - classroom.MaxHits; over > 0 {
		kept = kept[over:]
	}
	r.hits[h.StudentID] = kept
	return nil
}

func (r *memRepo) Hits(classID string) ([]classroom.Hit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []memHit
	for _, id := range r.inClass(classID) {
		all = append(all, r.hits[id]...)
	}
	slices.SortFunc(all, func(a, b memHit) int {
		return cmp.Or(a.hit.At.Compare(b.hit.At), cmp.Compare(a.seq, b.seq))
	})
	out := make([]classroom.Hit, 0, len(all))
	for _, h := range all {
		out = append(out, h.hit)
	}
	return out, nil
}
