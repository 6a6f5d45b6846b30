package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"

	"smtplab/web"
)

// The teacher's key: given in the teacher link smtplab logs at start, kept
// by the browser in an HttpOnly cookie, checked on every teacher request and
// WebSocket in constant time.
const (
	teacherCookie = "smtplab_teacher"
	studentCookie = "smtplab_student"
	// maxForm bounds a posted form (a class name and the lessons of the day).
	maxForm = 64 << 10
)

// isTeacher reports whether the request carries the teacher's key.
func (s *Server) isTeacher(r *http.Request) bool {
	if s.cfg.TeacherKey == "" {
		return false
	}
	c, err := r.Cookie(teacherCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.cfg.TeacherKey)) == 1
}

// teacherLogin takes the key from the teacher link, keeps it in a cookie
// and sends the teacher on without the key in the address bar.
func (s *Server) teacherLogin(w http.ResponseWriter, r *http.Request) bool {
	key := r.URL.Query().Get("key")
	if key == "" || s.cfg.TeacherKey == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.TeacherKey)) != 1 {
		return false
	}
	http.SetCookie(w, &http.Cookie{
		Name: teacherCookie, Value: s.cfg.TeacherKey, Path: "/", MaxAge: 30 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/teacher", http.StatusSeeOther)
	return true
}

// teacherOnly refuses a request without the teacher's key: 403 and a page
// that says how to get in.
func (s *Server) teacherOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.isTeacher(r) {
			p := s.pageData(r, "teacher", "title.teacher")
			s.render(w, r, http.StatusForbidden, web.TeacherLocked(p))
			return
		}
		if r.Method == http.MethodPost && !s.validCSRF(r, s.cfg.TeacherKey) {
			http.Error(w, web.T(string(localeOf(r)), "error.stale_form"), http.StatusForbidden)
			return
		}
		next(w, r)
	}
}

// csrf is the token forms carry, bound to the cookie that authenticates
// them, so another site cannot post a form in the teacher's name.
func (s *Server) csrf(bound string) string {
	m := hmac.New(sha256.New, s.secret[:])
	m.Write([]byte(bound))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func (s *Server) validCSRF(r *http.Request, bound string) bool {
	r.Body = http.MaxBytesReader(nil, r.Body, maxForm)
	if r.ParseForm() != nil {
		return false
	}
	got := r.PostForm.Get("csrf")
	return bound != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf(bound))) == 1
}
