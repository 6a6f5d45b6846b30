package server

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"smtplab/classroom"
	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/web"
)

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, room *classroom.Room) {
	s.renderDashboard(w, r, room, r.URL.Query().Get("notice"), "")
}

func (s *Server) renderDashboard(w http.ResponseWriter, r *http.Request, room *classroom.Room, notice, secret string) {
	p := s.pageData(r, "teacher", "title.teacher")
	c := room.Class()
	p.Title = c.Name
	v := web.DashboardView{Class: classItem(room), JoinURL: joinURL(r), CSRF: s.csrf(s.cfg.TeacherKey),
		Notice: knownNotice(notice), Secret: secret}
	v.Lessons = s.dayLessons(c, p.Locale)
	steps, _ := s.cfg.Classroom.Repo().Steps(c.ID)
	hits, _ := s.cfg.Classroom.Repo().Hits(c.ID)
	for _, st := range room.Students() {
		v.Students = append(v.Students, s.dashStudent(room, st, v.Lessons, steps, hits))
	}
	v.Mail = classMail(room.World)
	v.Mistakes = mistakes(hits, catalog.Locale(p.Locale))
	v.Inbox = inbox(room.World, "postmaster")
	s.render(w, r, http.StatusOK, web.ClassDashboard(p, v))
}

func knownNotice(n string) string {
	switch n {
	case classroom.Open, classroom.Closed, classroom.Archived, "reset", "removed", "password":
		return "teacher.notice." + n
	}
	return ""
}

func joinURL(r *http.Request) string { return "http://" + r.Host + "/join" }

// dayLessons are the class's lessons with their steps, the grid's columns.
func (s *Server) dayLessons(c classroom.Class, locale string) []web.DashLesson {
	var out []web.DashLesson
	for _, slug := range c.Lessons {
		l, ok := s.cfg.Lessons.Get(locale, slug)
		if !ok {
			continue
		}
		dl := web.DashLesson{Slug: slug, Number: l.Number, Title: l.Title}
		for _, st := range l.Steps {
			dl.Steps = append(dl.Steps, web.DashStep{ID: st.ID, Title: st.Title})
		}
		out = append(out, dl)
	}
	return out
}

func (s *Server) dashStudent(room *classroom.Room, st classroom.Student, lessons []web.DashLesson, steps []classroom.Step, hits []classroom.Hit) web.DashStudent {
	d := web.DashStudent{ID: st.ID, Name: st.Name, Address: room.Address(st), Reached: map[string]time.Time{},
		Connected: s.worlds.connected(st.ID)}
	last := st.Joined
	for _, stp := range steps {
		if stp.StudentID == st.ID {
			d.Reached[stp.Lesson+"/"+stp.Step] = stp.At
			last = maxTime(last, stp.At)
		}
	}
	for _, h := range hits {
		if h.StudentID == st.ID {
			d.Errors++
		}
	}
	for _, l := range lessons {
		for _, stp := range l.Steps {
			key := l.Slug + "/" + stp.ID
			if _, done := d.Reached[key]; !done && d.Current == "" {
				d.Current = key
			}
		}
	}
	if d.Current != "" && d.Connected {
		d.StuckFor = time.Since(last).Truncate(time.Minute)
	}
	return d
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// classMail lists every message that moved inside the class, from the
// copies in its mailboxes: the envelope, the header recipients, and who got
// a copy without being listed (the Bcc made real).
func classMail(w *sandbox.World) []web.ClassMail {
	byID := map[string]web.ClassMail{}
	for _, u := range w.Users() {
		for _, m := range w.Store.Messages(u.Local) {
			if _, seen := byID[m.ID]; seen {
				continue
			}
			text := m.Raw[m.Trace:]
			if m.Bcc != "" {
				text = append([]byte(m.Bcc+"\r\n"), text...)
			}
			a := sandbox.Analyze(m.Envelope, text)
			cm := web.ClassMail{ID: m.ID, Arrived: m.Arrived, Envelope: m.Envelope.To, To: a.To, Cc: a.Cc, Subject: a.Subject}
			if m.Envelope.From != nil {
				cm.From = *m.Envelope.From
			}
			for _, v := range a.Verdicts {
				if v.Verdict == sandbox.DeliveredHidden {
					cm.Bcc = append(cm.Bcc, v.Address)
				}
			}
			byID[m.ID] = cm
		}
	}
	out := make([]web.ClassMail, 0, len(byID))
	for _, cm := range byID {
		out = append(out, cm)
	}
	slices.SortFunc(out, func(a, b web.ClassMail) int { return b.Arrived.Compare(a.Arrived) })
	return out
}

// mistakes groups the error replies the class got by code and reason, the
// most widespread first.
func mistakes(hits []classroom.Hit, l catalog.Locale) []web.MistakeItem {
	type key struct{ code, reason string }
	students := map[key]map[string]bool{}
	times := map[key]int{}
	for _, h := range hits {
		k := key{h.Code, h.Reason}
		if students[k] == nil {
			students[k] = map[string]bool{}
		}
		students[k][h.StudentID] = true
		times[k]++
	}
	var out []web.MistakeItem
	for k, who := range students {
		out = append(out, web.MistakeItem{Code: k.code, Reason: reasonText(l, k.reason), Students: len(who), Times: times[k]})
	}
	slices.SortFunc(out, func(a, b web.MistakeItem) int {
		if a.Students != b.Students {
			return b.Students - a.Students
		}
		return b.Times - a.Times
	})
	return out
}

// reasonText is the "why now" of a reply without its particulars.
func reasonText(l catalog.Locale, reason string) string {
	t, _ := catalog.Text(l, "reason."+reason, nil)
	if t == "" || strings.Contains(t, "{") {
		return reason
	}
	return t
}

func inbox(w *sandbox.World, local string) []web.MailItem {
	var out []web.MailItem
	for _, m := range w.Store.Messages(local) {
		out = append(out, web.MailItem{UID: m.UID, From: m.From, Subject: m.Subject, Arrived: m.Arrived, Size: m.Size()})
	}
	return out
}

func (s *Server) projector(w http.ResponseWriter, r *http.Request, room *classroom.Room) {
	p := s.pageData(r, "teacher", "title.teacher")
	p.Title = room.Class().Name
	s.render(w, r, http.StatusOK, web.ClassProjector(p, web.ProjectorView{Class: classItem(room), JoinURL: joinURL(r)}))
}

func (s *Server) watchStudent(w http.ResponseWriter, r *http.Request, room *classroom.Room) {
	st, ok := room.Student(chi.URLParam(r, "student"))
	if !ok {
		s.notFound(w, r)
		return
	}
	p := s.pageData(r, "teacher", "title.teacher")
	p.Title = st.Name
	c := room.Class()
	steps, _ := s.cfg.Classroom.Repo().Steps(c.ID)
	hits, _ := s.cfg.Classroom.Repo().Hits(c.ID)
	d := s.dashStudent(room, st, s.dayLessons(c, p.Locale), steps, hits)
	s.render(w, r, http.StatusOK, web.StudentWatch(p, web.StudentWatchView{Class: classItem(room), Student: d, Inbox: inbox(room.World, st.Local)}))
}

// exportCSV is the class's progress, one row per step reached, with the
// error replies each student hit.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, room *classroom.Room) {
	c := room.Class()
	steps, _ := s.cfg.Classroom.Repo().Steps(c.ID)
	hits, _ := s.cfg.Classroom.Repo().Hits(c.ID)
	errs := map[string]int{}
	for _, h := range hits {
		errs[h.StudentID]++
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.Domain+`-progress.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"student", "address", "lesson", "step", "reached_at", "error_replies"})
	for _, st := range room.Students() {
		for _, stp := range steps {
			if stp.StudentID == st.ID {
				cw.Write(cells(st.Name, room.Address(st), stp.Lesson, stp.Step, stp.At.UTC().Format(time.RFC3339), strconv.Itoa(errs[st.ID])))
			}
		}
	}
	cw.Flush()
}

// cells neutralises what a spreadsheet would run as a formula (a cell that
// starts with = + - @, a tab or a carriage return) with a leading quote.
func cells(vals ...string) []string {
	for i, v := range vals {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			vals[i] = "'" + v
		}
	}
	return vals
}

// exportTranscripts is every student's transcript as plain text.
func (s *Server) exportTranscripts(w http.ResponseWriter, r *http.Request, room *classroom.Room) {
	c := room.Class()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.Domain+`-transcripts.txt"`)
	w.Header().Set("Cache-Control", "no-store")
	var b strings.Builder
	for _, st := range room.Students() {
		b.WriteString("==== " + st.Name + " <" + room.Address(st) + ">\n")
		lines, _ := s.cfg.Classroom.Repo().Lines(st.ID)
		for _, l := range lines {
			b.WriteString(l.At.UTC().Format("15:04:05") + " " + l.Dir + " " + l.Text + "\n")
		}
		b.WriteString("\n")
	}
	w.Write([]byte(b.String()))
}
