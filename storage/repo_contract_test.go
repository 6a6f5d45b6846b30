package storage

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"smtplab/classroom"
)

// The contract of classroom.Repo, run against every implementation.

func TestRepoContract(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, r classroom.Repo)
	}{
		{"classes", testClasses},
		{"students", testStudents},
		{"remove student", testRemoveStudent},
		{"steps", testSteps},
		{"lines", testLines},
		{"line bounds", testLineBounds},
		{"hits", testHits},
		{"unknown ids", testUnknownIDs},
	}
	for _, impl := range implementations {
		for _, tc := range tests {
			t.Run(impl.name+"/"+tc.name, func(t *testing.T) { tc.run(t, impl.open(t).Classroom()) })
		}
	}
}

func class(id string, created int) classroom.Class {
	return classroom.Class{ID: id, Name: "2nde " + id, Code: "K" + id, Domain: id + ".test",
		Locale: "fr", Lessons: []string{"first-mail", "pop3"}, State: classroom.Open, Created: at(created)}
}

func student(id, classID string, joined int) classroom.Student {
	return classroom.Student{ID: id, ClassID: classID, Name: "Élève " + id, Local: strings.ToLower(id),
		Password: "pw-" + id, PIN: "12" + id, Joined: at(joined), Seen: at(joined + 5)}
}

// withClass saves class c1 with students s1 (joined at 0) and s2 (at 1).
func withClass(t *testing.T, r classroom.Repo) {
	t.Helper()
	must(t, r.SaveClass(class("c1", 0)))
	must(t, r.SaveStudent(student("s1", "c1", 0)))
	must(t, r.SaveStudent(student("s2", "c1", 1)))
}

func testClasses(t *testing.T, r classroom.Repo) {
	got, err := r.Classes()
	must(t, err)
	if got == nil || len(got) != 0 {
		t.Fatalf("Classes of an empty repo = %#v, want []", got)
	}
	must(t, r.SaveClass(class("b", 1)))
	must(t, r.SaveClass(class("a", 1)))
	must(t, r.SaveClass(class("z", 0)))
	withLessons := class("b", 1)
	withLessons.Lessons, withLessons.State = []string{"relay"}, classroom.Archived
	must(t, r.SaveClass(withLessons)) // an update, not a second class
	got, err = r.Classes()
	must(t, err)
	want := []classroom.Class{class("z", 0), class("a", 1), withLessons} // by Created, then ID
	if len(got) != len(want) {
		t.Fatalf("Classes = %d, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameClass(got[i], want[i]) {
			t.Fatalf("class %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	got[0].Lessons[0] = "changed" // the slices are the caller's
	again, _ := r.Classes()
	if again[0].Lessons[0] != "first-mail" {
		t.Fatal("changing a returned class changed the repository")
	}
}

func sameClass(a, b classroom.Class) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Code == b.Code && a.Domain == b.Domain &&
		a.Locale == b.Locale && slices.Equal(a.Lessons, b.Lessons) && a.State == b.State &&
		a.Created.Equal(b.Created)
}

func sameStudent(a, b classroom.Student) bool {
	return a.ID == b.ID && a.ClassID == b.ClassID && a.Name == b.Name && a.Local == b.Local &&
		a.Password == b.Password && a.PIN == b.PIN && a.Joined.Equal(b.Joined) && a.Seen.Equal(b.Seen)
}

func studentIDs(t *testing.T, r classroom.Repo, classID string) []string {
	t.Helper()
	list, err := r.Students(classID)
	must(t, err)
	ids := []string{}
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	return ids
}

func testStudents(t *testing.T, r classroom.Repo) {
	must(t, r.SaveClass(class("c1", 0)))
	must(t, r.SaveClass(class("c2", 0)))
	for _, s := range []classroom.Student{
		student("s3", "c1", 2), student("s2", "c1", 1), student("s1", "c1", 1), student("t1", "c2", 0),
	} {
		must(t, r.SaveStudent(s))
	}
	if got := studentIDs(t, r, "c1"); !slices.Equal(got, []string{"s1", "s2", "s3"}) {
		t.Fatalf("students of c1 = %q: want by Joined, then ID", got)
	}
	if got := studentIDs(t, r, "nope"); len(got) != 0 {
		t.Fatalf("students of an unknown class = %q", got)
	}
	must(t, r.AddStep(classroom.Step{StudentID: "s1", Lesson: "pop3", Step: "user", At: at(3)}))
	moved := student("s1", "c2", 1)
	moved.Name, moved.Seen = "Renamed", at(40)
	must(t, r.SaveStudent(moved))
	must(t, r.SaveClass(class("c2", 0))) // saving a class again keeps its students
	list, err := r.Students("c2")
	must(t, err)
	if len(list) != 2 || !sameStudent(list[1], moved) {
		t.Fatalf("students of c2 = %+v, want t1 then %+v", list, moved)
	}
	if got := studentIDs(t, r, "c1"); !slices.Equal(got, []string{"s2", "s3"}) {
		t.Fatalf("students of c1 after the move = %q", got)
	}
	steps, err := r.Steps("c2")
	must(t, err)
	if len(steps) != 1 || steps[0].StudentID != "s1" {
		t.Fatalf("steps of c2 = %+v: a student's progress follows them", steps)
	}
}

func testRemoveStudent(t *testing.T, r classroom.Repo) {
	withClass(t, r)
	if err := r.RemoveStudent("nobody"); !errors.Is(err, classroom.ErrNotFound) {
		t.Fatalf("RemoveStudent(unknown) = %v, want ErrNotFound", err)
	}
	for _, id := range []string{"s1", "s2"} {
		must(t, r.AddStep(classroom.Step{StudentID: id, Lesson: "l", Step: "a", At: at(1)}))
		must(t, r.AppendLines(id, []classroom.Line{{At: at(1), Dir: "C", Host: "h", Text: "HELO"}}))
		must(t, r.AddHit(classroom.Hit{StudentID: id, Code: "503", Reason: "r", At: at(1)}))
	}
	must(t, r.RemoveStudent("s1"))
	if err := r.RemoveStudent("s1"); !errors.Is(err, classroom.ErrNotFound) {
		t.Fatalf("second RemoveStudent = %v, want ErrNotFound", err)
	}
	// Back under the same id, the student finds nothing of before.
	must(t, r.SaveStudent(student("s1", "c1", 0)))
	steps, _ := r.Steps("c1")
	hits, _ := r.Hits("c1")
	lines, _ := r.Lines("s1")
	if len(steps) != 1 || len(hits) != 1 || len(lines) != 0 {
		t.Fatalf("after removing s1: %d steps, %d hits, %d lines of s1; want only s2's", len(steps), len(hits), len(lines))
	}
	if steps[0].StudentID != "s2" || hits[0].StudentID != "s2" {
		t.Fatalf("the wrong student's progress went: %+v %+v", steps, hits)
	}
}

func testSteps(t *testing.T, r classroom.Repo) {
	withClass(t, r)
	must(t, r.SaveClass(class("c2", 0)))
	must(t, r.SaveStudent(student("t1", "c2", 0)))
	add := func(id, lesson, step string, minute int) {
		t.Helper()
		must(t, r.AddStep(classroom.Step{StudentID: id, Lesson: lesson, Step: step, At: at(minute)}))
	}
	add("s1", "smtp", "helo", 5)
	add("s2", "smtp", "helo", 2)
	add("s1", "smtp", "mail", 7)
	add("s1", "smtp", "helo", 1) // already reached at 5: keeps 5
	add("s2", "pop3", "user", 7) // same time as s1's mail: arrival order
	add("t1", "smtp", "helo", 0)
	steps, err := r.Steps("c1")
	must(t, err)
	want := []string{"s2 smtp helo 2", "s1 smtp helo 5", "s1 smtp mail 7", "s2 pop3 user 7"}
	if got := describeSteps(steps); !slices.Equal(got, want) {
		t.Fatalf("Steps = %q, want %q", got, want)
	}
	must(t, r.ClearSteps("s1", "smtp"))
	must(t, r.ClearSteps("nobody", "smtp")) // nothing to forget
	steps, _ = r.Steps("c1")
	if got := describeSteps(steps); !slices.Equal(got, []string{"s2 smtp helo 2", "s2 pop3 user 7"}) {
		t.Fatalf("Steps after ClearSteps(s1, smtp) = %q", got)
	}
	add("s1", "smtp", "helo", 9) // cleared, so reached again at a new time
	steps, _ = r.Steps("c1")
	if got := describeSteps(steps); got[len(got)-1] != "s1 smtp helo 9" {
		t.Fatalf("Steps after reaching again = %q", got)
	}
}

func describeSteps(steps []classroom.Step) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, fmt.Sprintf("%s %s %s %d", s.StudentID, s.Lesson, s.Step, int(s.At.Sub(t0).Minutes())))
		if s.At.Sub(t0)%1e9 != 0 {
			out[len(out)-1] += " (nanoseconds lost)"
		}
	}
	return out
}

func testLines(t *testing.T, r classroom.Repo) {
	withClass(t, r)
	first := []classroom.Line{{At: at(1), Dir: "*", Host: "mail.c1.test", Text: "connected"},
		{At: at(1), Dir: "S", Host: "mail.c1.test", Text: "220 mail.c1.test ESMTP"}}
	must(t, r.AppendLines("s1", first))
	must(t, r.AppendLines("s1", []classroom.Line{{At: at(0), Dir: "C", Host: "mail.c1.test", Text: "EHLO me"}}))
	must(t, r.AppendLines("s1", nil))
	must(t, r.AppendLines("s2", []classroom.Line{{At: at(2), Dir: "C", Text: "QUIT"}}))
	got, err := r.Lines("s1")
	must(t, err)
	want := append(first, classroom.Line{At: at(0), Dir: "C", Host: "mail.c1.test", Text: "EHLO me"})
	if len(got) != len(want) {
		t.Fatalf("Lines = %d, want %d", len(got), len(want))
	}
	for i := range want { // in the order appended, whatever their times
		if got[i].Text != want[i].Text || got[i].Dir != want[i].Dir || got[i].Host != want[i].Host || !got[i].At.Equal(want[i].At) {
			t.Fatalf("line %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if none, _ := r.Lines("nobody"); none == nil || len(none) != 0 {
		t.Fatalf("Lines(unknown) = %#v, want []", none)
	}
}

func testLineBounds(t *testing.T, r classroom.Repo) {
	withClass(t, r)
	long := strings.Repeat("a", classroom.MaxTranscriptLine-1) + "é" + "tail" // é straddles the bound
	must(t, r.AppendLines("s1", []classroom.Line{{Dir: "C", Text: long}, {Dir: "C", Text: strings.Repeat("b", 3000)}}))
	got, _ := r.Lines("s1")
	if want := strings.Repeat("a", classroom.MaxTranscriptLine-1); got[0].Text != want {
		t.Fatalf("a cut line is %d octets %q…, want %d, the é left out whole", len(got[0].Text), got[0].Text[len(got[0].Text)-3:], len(want))
	}
	if len(got[1].Text) != classroom.MaxTranscriptLine {
		t.Fatalf("a cut line is %d octets, want %d", len(got[1].Text), classroom.MaxTranscriptLine)
	}
	// Past the bound, in batches and one by one, the oldest go.
	total := classroom.MaxTranscriptLines + 25
	var batch []classroom.Line
	for i := 2; i < total; i++ {
		batch = append(batch, classroom.Line{Dir: "S", Text: fmt.Sprint("line ", i)})
		if len(batch) == 1000 || i >= total-3 {
			must(t, r.AppendLines("s1", batch))
			batch = nil
		}
	}
	got, _ = r.Lines("s1")
	if len(got) != classroom.MaxTranscriptLines {
		t.Fatalf("kept %d lines, want %d", len(got), classroom.MaxTranscriptLines)
	}
	if got[0].Text != "line 25" || got[len(got)-1].Text != fmt.Sprint("line ", total-1) {
		t.Fatalf("kept %q … %q, want line 25 … line %d", got[0].Text, got[len(got)-1].Text, total-1)
	}
	other, _ := r.Lines("s2")
	if len(other) != 0 {
		t.Fatal("another student's transcript changed")
	}
	// One call with more than the bound keeps its own last lines.
	huge := make([]classroom.Line, classroom.MaxTranscriptLines+3)
	for i := range huge {
		huge[i] = classroom.Line{Dir: "C", Text: fmt.Sprint("huge ", i)}
	}
	must(t, r.AppendLines("s2", huge))
	other, _ = r.Lines("s2")
	if len(other) != classroom.MaxTranscriptLines || other[0].Text != "huge 3" {
		t.Fatalf("after a huge append: %d lines from %q", len(other), other[0].Text)
	}
}

func testHits(t *testing.T, r classroom.Repo) {
	withClass(t, r)
	must(t, r.SaveClass(class("c2", 0)))
	must(t, r.SaveStudent(student("t1", "c2", 0)))
	must(t, r.AddHit(classroom.Hit{StudentID: "s1", Code: "503", Reason: "bad-sequence", At: at(3)}))
	must(t, r.AddHit(classroom.Hit{StudentID: "s2", Code: "-ERR", Reason: "no-such-message", At: at(1)}))
	must(t, r.AddHit(classroom.Hit{StudentID: "s2", Code: "550", Reason: "relay", At: at(3)}))
	must(t, r.AddHit(classroom.Hit{StudentID: "t1", Code: "500", Reason: "unknown", At: at(0)}))
	hits, err := r.Hits("c1")
	must(t, err)
	want := []string{"s2 -ERR no-such-message 1", "s1 503 bad-sequence 3", "s2 550 relay 3"}
	if got := describeHits(hits); !slices.Equal(got, want) {
		t.Fatalf("Hits = %q, want %q", got, want)
	}
	for i := range classroom.MaxHits + 5 {
		must(t, r.AddHit(classroom.Hit{StudentID: "s1", Code: "501", Reason: fmt.Sprint(i), At: at(10 + i)}))
	}
	hits, _ = r.Hits("c1")
	var mine []classroom.Hit
	for _, h := range hits {
		if h.StudentID == "s1" {
			mine = append(mine, h)
		}
	}
	if len(mine) != classroom.MaxHits || mine[0].Reason != "5" {
		t.Fatalf("s1 kept %d hits from %q, want %d from 5", len(mine), mine[0].Reason, classroom.MaxHits)
	}
	if len(hits) != classroom.MaxHits+2 {
		t.Fatalf("the class kept %d hits, want %d: s2's are not s1's", len(hits), classroom.MaxHits+2)
	}
}

func describeHits(hits []classroom.Hit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s %s %s %d", h.StudentID, h.Code, h.Reason, int(h.At.Sub(t0).Minutes())))
	}
	return out
}

func testUnknownIDs(t *testing.T, r classroom.Repo) {
	withClass(t, r)
	for name, err := range map[string]error{
		"SaveStudent": r.SaveStudent(student("x", "no-class", 0)),
		"AddStep":     r.AddStep(classroom.Step{StudentID: "x", Lesson: "l", Step: "s"}),
		"AppendLines": r.AppendLines("x", []classroom.Line{{Text: "t"}}),
		"AddHit":      r.AddHit(classroom.Hit{StudentID: "x", Code: "500"}),
	} {
		if !errors.Is(err, classroom.ErrNotFound) {
			t.Errorf("%s with an unknown id = %v, want ErrNotFound", name, err)
		}
	}
	if ids := studentIDs(t, r, "no-class"); len(ids) != 0 {
		t.Fatalf("a refused student was saved: %q", ids)
	}
}
