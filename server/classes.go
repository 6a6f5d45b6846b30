package server

import (
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"smtplab/classroom"
	"smtplab/sandbox"
	"smtplab/web"
)

// Classroom limits of the web side.
const (
	// JoinAttempts failed joins (a wrong code or PIN) are allowed per client
	// address in JoinWindow: guessing a code or a PIN takes millions.
	JoinAttempts = 10
	JoinWindow   = time.Minute
	// StuckAfter is how long without a new step makes a student "stuck".
	StuckAfter = 5 * time.Minute
)

func (s *Server) classRoutes(r chi.Router) {
	if s.cfg.Classroom == nil {
		return
	}
	r.Get("/teacher", s.teacherHome)
	r.Post("/teacher/classes", s.teacherOnly(s.createClass))
	r.Get("/teacher/classes/{class}", s.teacherOnly(s.withRoom(s.dashboard)))
	r.Get("/teacher/classes/{class}/projector", s.teacherOnly(s.withRoom(s.projector)))
	r.Get("/teacher/classes/{class}/progress.csv", s.teacherOnly(s.withRoom(s.exportCSV)))
	r.Get("/teacher/classes/{class}/transcripts.txt", s.teacherOnly(s.withRoom(s.exportTranscripts)))
	r.Post("/teacher/classes/{class}/{action:close|reopen|archive}", s.teacherOnly(s.withRoom(s.classAction)))
	r.Get("/teacher/classes/{class}/students/{student}", s.teacherOnly(s.withRoom(s.watchStudent)))
	r.Post("/teacher/classes/{class}/students/{student}/{action:reset|password|remove}", s.teacherOnly(s.withRoom(s.studentAction)))
	r.Get("/join", s.joinPage)
	r.Post("/join", s.join)
	r.Post("/join/back", s.joinBack)
	r.Get("/class", s.classHome)
	r.Post("/class/password", s.showPassword)
}

// withRoom finds the class named in the path, or answers 404.
func (s *Server) withRoom(next func(http.ResponseWriter, *http.Request, *classroom.Room)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		room, ok := s.cfg.Classroom.Room(chi.URLParam(r, "class"))
		if !ok {
			s.notFound(w, r)
			return
		}
		next(w, r, room)
	}
}

func (s *Server) teacherHome(w http.ResponseWriter, r *http.Request) {
	if s.teacherLogin(w, r) {
		return
	}
	s.teacherOnly(func(w http.ResponseWriter, r *http.Request) {
		s.renderTeacherHome(w, r, http.StatusOK, "")
	})(w, r)
}

func (s *Server) renderTeacherHome(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	p := s.pageData(r, "teacher", "title.teacher")
	v := web.TeacherHomeView{CSRF: s.csrf(s.cfg.TeacherKey), Error: errKey}
	for _, room := range s.cfg.Classroom.Classes() {
		v.Classes = append(v.Classes, classItem(room))
	}
	v.Lessons = s.lessonItems(p.Locale, true)
	s.render(w, r, status, web.TeacherHome(p, v))
}

func classItem(room *classroom.Room) web.ClassItem {
	c := room.Class()
	return web.ClassItem{ID: c.ID, Name: c.Name, Code: c.Code, Domain: c.Domain, Locale: c.Locale,
		State: c.State, Students: len(room.Students()), Created: c.Created}
}

func (s *Server) createClass(w http.ResponseWriter, r *http.Request) {
	locale := r.PostForm.Get("locale")
	if _, ok := parseLocale(locale); !ok {
		locale = string(localeOf(r))
	}
	var picked []string
	for _, slug := range r.PostForm["lessons"] {
		if s.cfg.Lessons != nil {
			if _, ok := s.cfg.Lessons.Get(locale, slug); ok && !slices.Contains(picked, slug) {
				picked = append(picked, slug)
			}
		}
	}
	// The lessons of the day keep the library's order.
	slices.SortStableFunc(picked, func(a, b string) int { return s.lessonIndex(a) - s.lessonIndex(b) })
	c, err := s.cfg.Classroom.Create(r.PostForm.Get("name"), locale, picked)
	if err != nil {
		s.renderTeacherHome(w, r, http.StatusBadRequest, errorKey(err))
		return
	}
	s.log.Info("class created", "class", c.Name, "code", c.Code, "domain", c.Domain)
	http.Redirect(w, r, "/teacher/classes/"+c.ID, http.StatusSeeOther)
}

func (s *Server) lessonIndex(slug string) int {
	for i, l := range s.cfg.Lessons.Slugs() {
		if l == slug {
			return i
		}
	}
	return len(slug) + 1<<20
}

func (s *Server) classAction(w http.ResponseWriter, r *http.Request, room *classroom.Room) {
	state := map[string]string{"close": classroom.Closed, "reopen": classroom.Open, "archive": classroom.Archived}[chi.URLParam(r, "action")]
	if err := s.cfg.Classroom.SetState(room.Class().ID, state); err != nil {
		s.storeFailed(w, r, err)
		return
	}
	http.Redirect(w, r, "/teacher/classes/"+room.Class().ID+"?notice="+state, http.StatusSeeOther)
}

func (s *Server) studentAction(w http.ResponseWriter, r *http.Request, room *classroom.Room) {
	st, ok := room.Student(chi.URLParam(r, "student"))
	if !ok {
		s.notFound(w, r)
		return
	}
	base := "/teacher/classes/" + room.Class().ID
	switch chi.URLParam(r, "action") {
	case "reset":
		s.worlds.resetWorld(st.ID)
		http.Redirect(w, r, base+"?notice=reset", http.StatusSeeOther)
	case "password":
		pw, err := s.cfg.Classroom.NewPassword(st.ID)
		if err != nil {
			s.storeFailed(w, r, err)
			return
		}
		s.renderDashboard(w, r, room, "password", pw)
	case "remove":
		if err := s.cfg.Classroom.Remove(st.ID); err != nil {
			s.storeFailed(w, r, err)
			return
		}
		s.worlds.forget(st.ID)
		s.classes.notify(room.Class().ID, map[string]string{"t": "joined"})
		http.Redirect(w, r, base+"?notice=removed", http.StatusSeeOther)
	}
}

// storeFailed answers when the records could not be written.
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("classroom store", "err", err)
	http.Error(w, web.T(string(localeOf(r)), "class.error.store"), http.StatusServiceUnavailable)
}

// errorKey names the catalog text of a classroom error.
func errorKey(err error) string {
	switch {
	case errors.Is(err, classroom.ErrNoClass):
		return "join.error.code"
	case errors.Is(err, classroom.ErrClassClosed), errors.Is(err, classroom.ErrArchived):
		return "join.error.closed"
	case errors.Is(err, classroom.ErrClassFull):
		return "join.error.full"
	case errors.Is(err, classroom.ErrBadName):
		return "join.error.name"
	case errors.Is(err, classroom.ErrBadPIN):
		return "join.error.pin"
	case errors.Is(err, classroom.ErrTooMany):
		return "teacher.error.too_many"
	}
	return "class.error.store"
}

// The student's side.

func (s *Server) joinPage(w http.ResponseWriter, r *http.Request) {
	s.renderJoin(w, r, http.StatusOK, web.JoinView{Code: r.URL.Query().Get("code")})
}

func (s *Server) renderJoin(w http.ResponseWriter, r *http.Request, status int, v web.JoinView) {
	p := s.pageData(r, "class", "title.join")
	v.CSRF = s.csrf(s.visitorID(w, r))
	s.render(w, r, status, web.JoinPage(p, v))
}

func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	s.enter(w, r, func(code, name string) (classroom.Student, *classroom.Room, error) {
		return s.cfg.Classroom.Join(code, name)
	})
}

func (s *Server) joinBack(w http.ResponseWriter, r *http.Request) {
	s.enter(w, r, func(code, name string) (classroom.Student, *classroom.Room, error) {
		return s.cfg.Classroom.Back(code, name, r.PostForm.Get("pin"))
	})
}

// enter runs a join or a return, rate-limited per client address: every
// failure costs a token, so codes and PINs cannot be guessed.
func (s *Server) enter(w http.ResponseWriter, r *http.Request, do func(code, name string) (classroom.Student, *classroom.Room, error)) {
	if !s.validCSRF(r, s.visitorID(w, r)) {
		s.renderJoin(w, r, http.StatusForbidden, web.JoinView{Error: "join.error.stale"})
		return
	}
	code, name := r.PostForm.Get("code"), r.PostForm.Get("name")
	ip := clientIP(r)
	if !s.joins.allow(ip) {
		w.Header().Set("Retry-After", "60")
		s.renderJoin(w, r, http.StatusTooManyRequests, web.JoinView{Code: code, Name: name, Error: "join.error.rate"})
		return
	}
	st, room, err := do(code, name)
	if err != nil {
		if errors.Is(err, classroom.ErrNoClass) || errors.Is(err, classroom.ErrBadPIN) {
			s.joins.fail(ip)
		}
		s.renderJoin(w, r, http.StatusBadRequest, web.JoinView{Code: code, Name: name, Error: errorKey(err)})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: studentCookie, Value: st.ID, Path: "/", MaxAge: 180 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	// The class's language is the students' page language (they may still
	// switch).
	if l, ok := parseLocale(room.Class().Locale); ok {
		http.SetCookie(w, &http.Cookie{
			Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
	}
	s.classes.notify(room.Class().ID, map[string]string{"t": "joined"})
	http.Redirect(w, r, "/class?show=1", http.StatusSeeOther)
}

// student returns the student whose cookie the request carries.
func (s *Server) student(r *http.Request) (classroom.Student, *classroom.Room, bool) {
	if s.cfg.Classroom == nil {
		return classroom.Student{}, nil, false
	}
	c, err := r.Cookie(studentCookie)
	if err != nil || !validVisitorID(c.Value) {
		return classroom.Student{}, nil, false
	}
	return s.cfg.Classroom.Student(c.Value)
}

func (s *Server) classHome(w http.ResponseWriter, r *http.Request) {
	s.renderClassHome(w, r, r.URL.Query().Get("show") == "1")
}

func (s *Server) showPassword(w http.ResponseWriter, r *http.Request) {
	if !s.validCSRF(r, s.visitorID(w, r)) {
		http.Redirect(w, r, "/class", http.StatusSeeOther)
		return
	}
	s.renderClassHome(w, r, true)
}

func (s *Server) renderClassHome(w http.ResponseWriter, r *http.Request, show bool) {
	st, room, ok := s.student(r)
	if !ok {
		http.Redirect(w, r, "/join", http.StatusSeeOther)
		return
	}
	p := s.pageData(r, "class", "title.class")
	c := room.Class()
	v := web.ClassHomeView{Class: classItem(room), Name: st.Name, Address: room.Address(st), PIN: st.PIN,
		Show: show, CSRF: s.csrf(s.visitorID(w, r)), Done: map[string]int{}, Host: pageHost(r)}
	if show {
		v.Password = st.Password
	}
	steps, _ := s.cfg.Classroom.Repo().Steps(c.ID)
	for _, stp := range steps {
		if stp.StudentID == st.ID {
			v.Done[stp.Lesson]++
		}
	}
	for _, slug := range c.Lessons {
		if l, ok := s.cfg.Lessons.Get(p.Locale, slug); ok {
			v.Lessons = append(v.Lessons, lessonItem(l))
		}
	}
	s.render(w, r, http.StatusOK, web.ClassHome(p, v))
}

// classShell adds the class's server to the terminal of a student's page.
func (s *Server) classShell(r *http.Request, sh *web.Shell) {
	if _, room, ok := s.student(r); ok {
		sh.ClassHost, sh.ClassDomain = room.World.Host, room.World.Domain
	}
}

// studentClassOf builds what a student's visitor knows of their class.
func (s *Server) studentClassOf(st classroom.Student, room *classroom.Room) *studentClass {
	return &studentClass{room: room, student: st.ID, local: st.Local,
		record: func(host string, evs []sandbox.Event) { s.record(room, st.ID, host, evs) }}
}

// record keeps a student's transcript lines and error replies, and tells
// the dashboard about new mistakes.
func (s *Server) record(room *classroom.Room, studentID, host string, evs []sandbox.Event) {
	repo := s.cfg.Classroom.Repo()
	loc := room.Class().Locale
	var lines []classroom.Line
	hit := false
	for _, ev := range evs {
		switch {
		case ev.Open != nil:
			lines = append(lines, classroom.Line{At: ev.Time, Dir: "*", Host: host, Text: web.Tf(loc, "transcript.connected", "host", host, "proto", string(ev.Proto))})
		case ev.Input != nil:
			lines = append(lines, classroom.Line{At: ev.Time, Dir: "C", Host: host, Text: ev.Input.Text})
		case ev.Reply != nil:
			for _, l := range ev.Reply.Lines {
				lines = append(lines, classroom.Line{At: ev.Time, Dir: "S", Host: host, Text: l})
			}
			if !ev.Reply.Positive() {
				hit = true
				repo.AddHit(classroom.Hit{StudentID: studentID, Code: replyLabel(ev.Reply), Reason: ev.Reply.Reason, At: ev.Time})
			}
		case ev.Close != nil:
			lines = append(lines, classroom.Line{At: ev.Time, Dir: "*", Host: host, Text: web.Tf(loc, "transcript.closed", "reason", ev.Close.Reason)})
		}
	}
	if len(lines) > 0 {
		if err := repo.AppendLines(studentID, lines); err != nil {
			s.log.Warn("transcript not kept", "err", err)
		}
	}
	if hit {
		s.classes.notify(room.Class().ID, map[string]string{"t": "mistakes"})
	}
	if mailMoved(evs) {
		s.classes.notify(room.Class().ID, map[string]string{"t": "mail"})
	}
}

func mailMoved(evs []sandbox.Event) bool {
	for _, ev := range evs {
		if ev.Delivery != nil {
			return true
		}
	}
	return false
}

// replyLabel is a reply's code as students see it: "503 5.5.1", "-ERR".
func replyLabel(r *sandbox.Reply) string {
	if r.Code == 0 {
		return r.Status
	}
	return strings.TrimSpace(itoa(r.Code) + " " + r.Enhanced)
}

// pageHost is the host name the page was reached at, without the port: a
// mail program on the student's computer reaches smtplab's ports there.
func pageHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		return h
	}
	return r.Host
}
