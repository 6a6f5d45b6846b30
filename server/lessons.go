package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"smtplab/sandbox/catalog"
	"smtplab/web"
)

// LessonSource provides the lessons, already rendered for a locale.
type LessonSource interface {
	List(l catalog.Locale) []web.LessonItem
	View(l catalog.Locale, slug string) (web.LessonView, bool)
}

func (s *Server) lessonItems(l string) []web.LessonItem {
	if s.cfg.Lessons == nil {
		return nil
	}
	return s.cfg.Lessons.List(catalog.Locale(l))
}

func (s *Server) lesson(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Lessons == nil {
		s.notFound(w, r)
		return
	}
	view, ok := s.cfg.Lessons.View(localeOf(r), chi.URLParam(r, "slug"))
	if !ok {
		s.notFound(w, r)
		return
	}
	p := s.pageData(r, "lessons", "")
	p.Title = view.Title
	visitorID(w, r)
	s.render(w, r, http.StatusOK, web.Lesson(p, view))
}

// lessonRun follows one lesson's goals on a page's terminal.
type lessonRun struct{}

func (c *wsConn) startLesson(slug string) {}

func (c *wsConn) stopLesson() {}
