package server

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"smtplab/classroom"
	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/web"
)

// lessonItems lists the lessons; class lessons only when withClass (a
// student's pages, the teacher's form): they need a class world.
func (s *Server) lessonItems(locale string, withClass bool) []web.LessonItem {
	if s.cfg.Lessons == nil {
		return nil
	}
	var items []web.LessonItem
	for _, l := range s.cfg.Lessons.List(locale) {
		if l.World == lessons.WorldClass && !withClass {
			continue
		}
		items = append(items, lessonItem(l))
	}
	return items
}

// classVars fill a class lesson for one student: their server, their
// address, and two classmates to write to (the postmaster while the class
// has fewer).
func classVars(sc *studentClass) lessons.ClassVars {
	v := lessons.ClassVars{Host: sc.room.World.Host, Domain: sc.room.World.Domain, Me: sc.local,
		Mate1: "postmaster", Mate2: "postmaster"}
	var mates []string
	for _, st := range sc.room.Students() {
		if st.ID != sc.student {
			mates = append(mates, st.Local)
		}
	}
	if len(mates) > 0 {
		v.Mate1 = mates[0]
	}
	if len(mates) > 1 {
		v.Mate2 = mates[1]
	}
	return v
}

func lessonItem(l *lessons.Lesson) web.LessonItem {
	return web.LessonItem{Slug: l.Slug, Number: l.Number, Title: l.Title, Summary: l.Summary, Steps: len(l.Steps)}
}

func (s *Server) lesson(w http.ResponseWriter, r *http.Request) {
	loc := localeOf(r)
	var l *lessons.Lesson
	if s.cfg.Lessons != nil {
		l, _ = s.cfg.Lessons.Get(string(loc), chi.URLParam(r, "slug"))
	}
	if l == nil {
		s.notFound(w, r)
		return
	}
	if l.World == lessons.WorldClass {
		st, room, ok := s.student(r)
		if !ok {
			http.Redirect(w, r, "/join", http.StatusSeeOther)
			return
		}
		l = l.ForClass(classVars(s.studentClassOf(st, room)))
	}
	p := s.pageData(r, "lessons", "")
	p.Title = l.Title
	s.visitorID(w, r)
	s.render(w, r, http.StatusOK, web.Lesson(p, s.lessonView(l, loc)))
}

func (s *Server) lessonView(l *lessons.Lesson, loc catalog.Locale) web.LessonView {
	v := web.LessonView{LessonItem: lessonItem(l), Intro: web.HTML(l.Intro), Minor: l.Minor}
	for _, st := range l.Steps {
		sv := web.StepView{ID: st.ID, Title: st.Title, Text: web.HTML(st.Text), Hint: web.HTML(st.Hint), Solution: st.Solution,
			Teaches: st.Warnings()}
		for _, h := range st.Hints[min(1, len(st.Hints)):] {
			sv.MoreHints = append(sv.MoreHints, web.HTML(h))
		}
		if st.Replay != nil {
			sv.Replay = s.cachedReplay(l.Slug+"/"+st.ID+"/"+string(loc), st.Replay, loc)
		}
		if st.Quiz != nil {
			sv.Quiz = quizView(st.Quiz)
		}
		v.Steps = append(v.Steps, sv)
	}
	list := s.cfg.Lessons.List(string(loc))
	for i, other := range list {
		if other.Slug != l.Slug {
			continue
		}
		if i > 0 {
			prev := lessonItem(list[i-1])
			v.Prev = &prev
		}
		if i+1 < len(list) {
			next := lessonItem(list[i+1])
			v.Next = &next
		}
	}
	return v
}

func quizView(q *lessons.Quiz) *web.QuizView {
	v := &web.QuizView{Mistakes: q.Mistakes()}
	for _, l := range q.Lines {
		v.Lines = append(v.Lines, web.QuizLine{Client: l.Client, Text: l.Text})
	}
	return v
}

// cachedReplay runs a replay once per lesson step and language: a lesson
// page is opened by a whole class at once, and a replay costs a scratch
// world and a session.
func (s *Server) cachedReplay(key string, r *lessons.Replay, loc catalog.Locale) *web.ReplayView {
	if v, ok := s.replays.Load(key); ok {
		return v.(*web.ReplayView)
	}
	v, _ := s.replays.LoadOrStore(key, s.replay(r, loc))
	return v.(*web.ReplayView)
}

// replay runs a classic session through a scratch world, so the page shows
// the sandbox's real replies and explanations, not a copy that could drift.
func (s *Server) replay(r *lessons.Replay, loc catalog.Locale) *web.ReplayView {
	w := s.newVisitorWorld("replay", nil) // a scratch world: its own store, no budget
	s.deliverSamples(w, r.Mail)
	sess := s.cfg.NewSession(w, sandbox.Proto(r.Proto), sandbox.Peer{Remote: "192.0.2.10:52000", Transport: "replay"})
	v := &web.ReplayView{Proto: r.Proto}
	take := func(o sandbox.Output) {
		for _, rep := range o.Replies {
			v.Items = append(v.Items, replayItem(rep, loc))
		}
	}

	take(sess.Start())
	for _, line := range r.Lines {
		if sess.Closed() {
			break
		}
		v.Items = append(v.Items, web.ReplayItem{Client: true, Text: line})
		take(sandbox.FeedAll(sess, []byte(line+"\r\n")))
	}
	sess.Hangup()
	return v
}

// deliverSamples puts sample messages in mailboxes before a replay, sent
// through a real SMTP session so they are stored as any message would be.
func (s *Server) deliverSamples(w *sandbox.World, mail map[string]int) {
	for _, user := range slices.Sorted(maps.Keys(mail)) {
		for n := 1; n <= mail[user]; n++ {
			text := catalog.Wire("sample.message", sandbox.Args("user", user, "domain", w.Domain, "n", strconv.Itoa(n)))
			text = strings.ReplaceAll(text, "\n.\n", "\n..\n")
			sess := s.cfg.NewSession(w, sandbox.SMTP, sandbox.Peer{Remote: "192.0.2.10:52001", Transport: "replay"})
			sess.Start()
			sandbox.FeedAll(sess, []byte(strings.ReplaceAll("HELO replay.test\nMAIL FROM:<bob@"+w.Domain+">\nRCPT TO:<"+user+"@"+w.Domain+">\nDATA\n"+text+".\nQUIT\n", "\n", "\r\n")))
		}
	}
}

func replayItem(r *sandbox.Reply, loc catalog.Locale) web.ReplayItem {

	x := catalog.Explain(loc, r.Meaning, r.Enhanced, r.Reason, r.Args)
	label, family := r.Status, "2"
	if r.Code != 0 {
		label = strconv.Itoa(r.Code)
		family = label[:1]
	} else if !r.Positive() {
		family = "5"
	}
	return web.ReplayItem{
		Label: label, Family: family, Lines: r.Lines, Enhanced: r.Enhanced,
		Meaning: x.Meaning, Class: x.Class, Subject: x.Subject, Detail: x.Detail, Reason: x.Reason,
	}
}

// lessonRun follows one lesson's goals on one terminal. It lives with the
// terminal, so a reload in the middle of a step loses nothing.
type lessonRun struct {
	slug    string
	checker *lessons.Checker
	mu      sync.Mutex
	page    *wsConn // where progress goes, nil while no page shows the lesson
	// reached is called with the steps done, for a student whose progress
	// the server keeps; nil for a visitor.
	reached func(done []string)
}

// progressMsg tells the page which steps are done.
type progressMsg struct {
	T      string   `json:"t"` // "progress"
	Lesson string   `json:"lesson"`
	Done   []string `json:"done"`
}

func (run *lessonRun) observe(ev sandbox.Event) {
	if run.checker.Observe(ev) {
		run.progressed()
	}
}

// progressed records and tells that more steps are done.
func (run *lessonRun) progressed() {
	if run.reached != nil {
		run.reached(run.checker.Done())
	}
	run.notify()
}

func (run *lessonRun) notify() {
	run.mu.Lock()
	page := run.page
	run.mu.Unlock()
	if page != nil {
		page.sendJSON(progressMsg{T: "progress", Lesson: run.slug, Done: run.checker.Done()})
	}
}

func (run *lessonRun) show(c *wsConn) {
	run.mu.Lock()
	run.page = c
	run.mu.Unlock()
}

func (run *lessonRun) hide(c *wsConn) {
	run.mu.Lock()
	if run.page == c {
		run.page = nil
	}
	run.mu.Unlock()
}

// startLesson follows the lesson the page shows, resuming from the steps
// the browser remembers as done.
func (c *wsConn) startLesson(slug string, done []string) {
	if slug == "" || c.s.cfg.Lessons == nil {
		return
	}
	l, ok := c.s.cfg.Lessons.Get(string(c.locale), slug)
	if !ok {
		return
	}
	world := c.visitor.world
	if l.World == lessons.WorldClass {
		if c.student == nil {
			return
		}
		l, world = l.ForClass(classVars(c.student)), c.student.room.World
	}
	run := c.terminal.lesson(slug, func() *lessonRun {
		r := &lessonRun{slug: slug, checker: lessons.NewChecker(l, world)}
		if c.student != nil {
			r.reached = func(done []string) { c.s.reached(c.student, slug, done) }
		}
		return r
	})
	if c.student != nil {
		// The server's record is the truth for a student, not the browser's.
		done = c.s.stepsOf(c.student, slug)
	}
	run.checker.Resume(done)
	run.show(c)
	c.lesson = run
	run.notify()
	c.sendQuizzes()
}

func (c *wsConn) stopLesson() {
	if c.lesson != nil {
		c.lesson.hide(c)
	}
}

func (c *wsConn) restartLesson() {
	if c.lesson == nil {
		return
	}
	c.lesson.checker.Restart()
	if c.student != nil {
		c.s.cfg.Classroom.Repo().ClearSteps(c.student.student, c.lesson.slug)
		c.s.classes.notify(c.student.room.Class().ID, map[string]string{"t": "joined"})
	}
	c.lesson.notify()
}

// reached records the steps a student has done in a lesson (the first time
// of each is kept) and ticks the dashboards.
func (s *Server) reached(sc *studentClass, lesson string, done []string) {
	repo := s.cfg.Classroom.Repo()
	known := s.stepsOf(sc, lesson)
	for _, step := range done {
		if slices.Contains(known, step) {
			continue
		}
		at := time.Now()
		if err := repo.AddStep(classroom.Step{StudentID: sc.student, Lesson: lesson, Step: step, At: at}); err != nil {
			s.log.Warn("progress not kept", "err", err)
			continue
		}
		s.classes.notify(sc.room.Class().ID, map[string]any{
			"t": "tick", "student": sc.student, "key": lesson + "/" + step, "at": at,
		})
	}
}

// stepsOf is what the server holds of a student's progress in a lesson.
func (s *Server) stepsOf(sc *studentClass, lesson string) []string {
	steps, _ := s.cfg.Classroom.Repo().Steps(sc.room.Class().ID)
	var out []string
	for _, st := range steps {
		if st.StudentID == sc.student && st.Lesson == lesson {
			out = append(out, st.Step)
		}
	}
	return out
}
