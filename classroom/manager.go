package classroom

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/dns"
	"smtplab/sandbox/network"
)

// Manager limits.
const (
	// MaxClasses bounds the classes kept, archived ones included.
	MaxClasses = 200
	// MaxStudentsPerClass bounds a class (each student has a mailbox and a
	// practice world of their own).
	MaxStudentsPerClass = 60
	// ClassStore is how much mail a class world may hold in all.
	ClassStore = 64 << 20
	// ClassMessageSize is the SIZE a class world advertises.
	ClassMessageSize = 1 << 20
)

// Errors of the classroom, each shown to the person who caused it.
var (
	ErrNoClass      = errors.New("no class has this code")
	ErrClassClosed  = errors.New("the class takes no new students")
	ErrClassFull    = errors.New("the class is full")
	ErrBadName      = errors.New("a name is needed (letters, at most 40)")
	ErrBadPIN       = errors.New("no student of this class has this name and PIN")
	ErrTooMany      = errors.New("too many classes")
	ErrNoStudent    = errors.New("no such student")
	ErrArchived     = errors.New("the class is archived")
	errNoLocalSpace = errors.New("no free address for this name")
)

// Config is what a Manager is built from.
type Config struct {
	Repo Repo
	// Mailboxes gives the store of a world by name ("class-" + class id).
	Mailboxes func(world string) sandbox.Store
	// Limits are the timeouts and delays of the TCP services; the sizes are
	// the classroom's own.
	Limits sandbox.Limits
	// Taken reports domains the classroom must not use (the practice domain).
	Taken func(domain string) bool
	Clock func() time.Time
	// Resolver, when set, learns each class's zone (its MX and server
	// address), so dig and the relays of the sandbox find the class.
	Resolver *dns.Resolver
}

// Manager holds the classes and their live worlds.
type Manager struct {
	cfg Config

	mu       sync.RWMutex
	rooms    map[string]*Room // by class id
	byCode   map[string]*Room
	byDomain map[string]*Room
	students map[string]*Room // by student id
}

// Room is one class with its world and students.
type Room struct {
	World *sandbox.World

	mu       sync.RWMutex
	class    Class
	students map[string]Student // by id
}

// Class returns the class as it is now.
func (r *Room) Class() Class {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.class
}

// Students lists the class's students, in the order they joined.
func (r *Room) Students() []Student {
	r.mu.RLock()
	out := make([]Student, 0, len(r.students))
	for _, s := range r.students {
		out = append(out, s)
	}
	r.mu.RUnlock()
	sortStudents(out)
	return out
}

// Student returns one student of the class.
func (r *Room) Student(id string) (Student, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.students[id]
	return s, ok
}

// Address is a student's address in the class domain.
func (r *Room) Address(s Student) string { return s.Local + "@" + r.World.Domain }

// NewManager loads every class kept in the repository.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Taken == nil {
		cfg.Taken = func(string) bool { return false }
	}
	m := &Manager{cfg: cfg, rooms: map[string]*Room{}, byCode: map[string]*Room{},
		byDomain: map[string]*Room{}, students: map[string]*Room{}}
	classes, err := cfg.Repo.Classes()
	if err != nil {
		return nil, err
	}
	for _, c := range classes {
		students, err := cfg.Repo.Students(c.ID)
		if err != nil {
			return nil, err
		}
		m.add(c, students)
	}
	return m, nil
}

// add builds a class's room and indexes it. Called with mu held, or
// before the manager is shared.
func (m *Manager) add(c Class, students []Student) *Room {
	r := &Room{class: c, students: map[string]Student{}}
	r.World = sandbox.NewWorld(sandbox.Config{
		Name:    "class-" + c.ID,
		Domain:  c.Domain,
		Entries: baseEntries(),
		Limits:  m.limits(),
		Store:   m.cfg.Mailboxes("class-" + c.ID),
		Clock:   m.cfg.Clock,
	})
	if m.cfg.Resolver != nil {
		m.cfg.Resolver.Add(network.ClassZone(c.Domain, r.World.Host)) // a zone already there is the same
	}
	m.rooms[c.ID] = r
	m.byCode[c.Code] = r
	m.byDomain[c.Domain] = r
	for _, s := range students {
		r.students[s.ID] = s
		m.students[s.ID] = r
		r.World.SetEntry(studentEntry(s))
	}
	r.syncTeam()
	return r
}

func (m *Manager) limits() sandbox.Limits {
	l := m.cfg.Limits
	l.MaxMessageSize = ClassMessageSize
	l.MaxStore = ClassStore
	l.MaxMailbox = ClassStore
	return l
}

// baseEntries are the addresses of every class world before anyone joins:
// the teacher's postmaster mailbox and the list of the whole class.
func baseEntries() []sandbox.Entry {
	return []sandbox.Entry{
		{Local: "postmaster", Kind: sandbox.KindUser, FullName: "Postmaster", Password: newPassword() + newPassword()},
		{Local: "team", Kind: sandbox.KindList, FullName: "Team"},
	}
}

func studentEntry(s Student) sandbox.Entry {
	return sandbox.Entry{Local: s.Local, Kind: sandbox.KindUser, FullName: s.Name, Password: s.Password}
}

// syncTeam makes the list "team" name every student.
func (r *Room) syncTeam() {
	var members []string
	for _, s := range r.Students() {
		members = append(members, s.Local)
	}
	r.World.SetEntry(sandbox.Entry{Local: "team", Kind: sandbox.KindList, FullName: "Team", Members: members})
}

// Classes lists every class, newest first.
func (m *Manager) Classes() []*Room {
	m.mu.RLock()
	out := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		out = append(out, r)
	}
	m.mu.RUnlock()
	sortRooms(out)
	return out
}

// Room returns a class by id.
func (m *Manager) Room(id string) (*Room, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.rooms[id]
	return r, ok
}

// World returns the world of the class that owns domain: the directory the
// shared world uses, so mail over TCP reaches a class.
func (m *Manager) World(domain string) *sandbox.World {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if r, ok := m.byDomain[strings.ToLower(domain)]; ok {
		return r.World
	}
	return nil
}

// Create makes a new open class.
func (m *Manager) Create(name, locale string, lessons []string) (Class, error) {
	name, ok := CleanName(name, MaxClassName)
	if !ok {
		return Class{}, ErrBadName
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.rooms) >= MaxClasses {
		return Class{}, ErrTooMany
	}
	c := Class{
		ID: newID(), Name: name, Code: m.freeCode(), Domain: m.freeDomain(name),
		Locale: locale, Lessons: lessons, State: Open, Created: m.cfg.Clock(),
	}
	if err := m.cfg.Repo.SaveClass(c); err != nil {
		return Class{}, err
	}
	m.add(c, nil)
	return c, nil
}

func (m *Manager) freeCode() string {
	for {
		if c := newJoinCode(); m.byCode[c] == nil {
			return c
		}
	}
}

// freeDomain makes the class's domain from its name: « 2nde B » →
// 2nde-b.test, then 2nde-b-2.test if that is taken.
func (m *Manager) freeDomain(name string) string {
	label := asciiSlug(name, MaxDomainLabel)
	if label == "" || label[0] == '-' {
		label = "class"
	}
	for n := 1; ; n++ {
		d := label + ClassTLD
		if n > 1 {
			d = label + "-" + strconv.Itoa(n) + ClassTLD
		}
		if m.byDomain[d] == nil && !m.cfg.Taken(d) {
			return d
		}
	}
}

// SetState opens, closes or archives a class.
func (m *Manager) SetState(id, state string) error {
	r, ok := m.Room(id)
	if !ok {
		return ErrNotFound
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.class
	c.State = state
	if err := m.cfg.Repo.SaveClass(c); err != nil {
		return err
	}
	r.class = c
	return nil
}

// Join adds a student to the class with this code.
func (m *Manager) Join(code, name string) (Student, *Room, error) {
	name, ok := CleanName(name, MaxStudentName)
	if !ok {
		return Student{}, nil, ErrBadName
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.byCode[NormalizeCode(code)]
	if r == nil {
		return Student{}, nil, ErrNoClass
	}
	switch c := r.Class(); {
	case c.State == Archived:
		return Student{}, nil, ErrArchived
	case c.State != Open:
		return Student{}, nil, ErrClassClosed
	}
	if len(r.students) >= MaxStudentsPerClass {
		return Student{}, nil, ErrClassFull
	}
	local, err := r.freeLocal(name)
	if err != nil {
		return Student{}, nil, err
	}
	now := m.cfg.Clock()
	s := Student{ID: newID(), ClassID: r.class.ID, Name: name, Local: local,
		Password: newPassword(), PIN: newPIN(), Joined: now, Seen: now}
	if err := m.cfg.Repo.SaveStudent(s); err != nil {
		return Student{}, nil, err
	}
	r.mu.Lock()
	r.students[s.ID] = s
	r.mu.Unlock()
	m.students[s.ID] = r
	r.World.SetEntry(studentEntry(s))
	r.syncTeam()
	return s, r, nil
}

// freeLocal makes a student's local part from their name: « Léa » → lea,
// then lea2, lea3 on a clash.
func (r *Room) freeLocal(name string) (string, error) {
	base := asciiSlug(name, MaxLocal)
	if base == "" {
		base = "student"
	}
	for n := 1; n <= MaxStudentsPerClass+len(reservedLocals)+1; n++ {
		local := base
		if n > 1 || reservedLocals[base] {
			local = base + strconv.Itoa(n)
		}
		if _, taken := r.World.Lookup(local); !taken && !reservedLocals[local] {
			return local, nil
		}
	}
	return "", errNoLocalSpace
}

// Back lets a student in again from another machine: the class code, the
// name they joined with (any case) and their PIN.
func (m *Manager) Back(code, name, pin string) (Student, *Room, error) {
	m.mu.RLock()
	r := m.byCode[NormalizeCode(code)]
	m.mu.RUnlock()
	if r == nil {
		return Student{}, nil, ErrNoClass
	}
	name, _ = CleanName(name, MaxStudentName)
	for _, s := range r.Students() {
		if strings.EqualFold(s.Name, name) && equalSecret(s.PIN, strings.TrimSpace(pin)) {
			return s, r, nil
		}
	}
	return Student{}, nil, ErrBadPIN
}

// Student finds a student by id, with their class.
func (m *Manager) Student(id string) (Student, *Room, bool) {
	m.mu.RLock()
	r := m.students[id]
	m.mu.RUnlock()
	if r == nil {
		return Student{}, nil, false
	}
	s, ok := r.Student(id)
	return s, r, ok
}

// NewPassword gives a student a new POP3 password and returns it.
func (m *Manager) NewPassword(id string) (string, error) {
	s, r, ok := m.Student(id)
	if !ok {
		return "", ErrNoStudent
	}
	s.Password = newPassword()
	if err := m.cfg.Repo.SaveStudent(s); err != nil {
		return "", err
	}
	r.mu.Lock()
	r.students[id] = s
	r.mu.Unlock()
	r.World.SetEntry(studentEntry(s))
	return s.Password, nil
}

// Remove takes a student out of their class, with their mailbox.
func (m *Manager) Remove(id string) error {
	s, r, ok := m.Student(id)
	if !ok {
		return ErrNoStudent
	}
	if err := m.cfg.Repo.RemoveStudent(id); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.students, id)
	m.mu.Unlock()
	r.mu.Lock()
	delete(r.students, id)
	r.mu.Unlock()
	r.World.RemoveEntry(s.Local)
	var uids []string
	for _, msg := range r.World.Store.Messages(s.Local) {
		uids = append(uids, msg.UID)
	}
	r.World.Store.Remove(s.Local, uids)
	r.syncTeam()
	return nil
}

// Repo is the repository the manager keeps its records in.
func (m *Manager) Repo() Repo { return m.cfg.Repo }
