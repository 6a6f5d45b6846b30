package classroom_test

import (
	"errors"
	"strings"
	"testing"

	"smtplab/classroom"
	"smtplab/sandbox"
	"smtplab/storage"
)

func newManager(t *testing.T, st storage.Storage) *classroom.Manager {
	t.Helper()
	m, err := classroom.NewManager(classroom.Config{
		Repo: st.Classroom(), Mailboxes: st.Mailboxes,
		Taken: func(d string) bool { return d == "example.test" },
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCreateAndJoin(t *testing.T) {
	m := newManager(t, storage.NewMemory())
	c, err := m.Create("  2nde   B ", "fr", []string{"bcc"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "2nde B" || c.Domain != "2nde-b.test" || len(c.Code) != classroom.JoinCodeLength || c.State != classroom.Open {
		t.Fatalf("class %+v", c)
	}
	for _, r := range c.Code {
		if !strings.ContainsRune(classroom.JoinCodeAlphabet, r) {
			t.Errorf("code %q has %q, a look-alike", c.Code, r)
		}
	}
	twin, _ := m.Create("2nde B", "fr", nil)
	if twin.Domain != "2nde-b-2.test" || twin.Code == c.Code {
		t.Errorf("second class with the same name: %+v", twin)
	}

	lea, room, err := m.Join(strings.ToLower(c.Code), "Léa")
	if err != nil {
		t.Fatal(err)
	}
	lea2, _, _ := m.Join(c.Code, "LEA")
	tom, _, _ := m.Join(c.Code, "Postmaster")
	if lea.Local != "lea" || lea2.Local != "lea2" || tom.Local == "postmaster" {
		t.Errorf("locals %q %q %q", lea.Local, lea2.Local, tom.Local)
	}
	if len(lea.PIN) != classroom.PINLength || len(lea.Password) != classroom.PasswordLength || lea.ID == "" {
		t.Errorf("secrets of %+v", lea)
	}
	e, ok := room.World.Lookup("lea")
	if !ok || e.Kind != sandbox.KindUser || e.Password != lea.Password {
		t.Errorf("lea in the class world: %+v %v", e, ok)
	}
	team, _ := room.World.Lookup("team")
	if strings.Join(team.Members, ",") != "lea,lea2,"+tom.Local {
		t.Errorf("team = %v", team.Members)
	}
	if m.World("2NDE-B.test") != room.World || m.World("example.test") != nil {
		t.Error("the directory does not find the class by its domain")
	}
}

func TestJoinRefusals(t *testing.T) {
	m := newManager(t, storage.NewMemory())
	c, _ := m.Create("Terminale", "en", nil)
	cases := []struct {
		code, name string
		want       error
	}{
		{"ZZZZZZ", "Léa", classroom.ErrNoClass},
		{c.Code, "   ", classroom.ErrBadName},
		{c.Code, "a\x00b", classroom.ErrBadName},
		{c.Code, strings.Repeat("x", classroom.MaxStudentName+1), classroom.ErrBadName},
	}
	for _, tc := range cases {
		if _, _, err := m.Join(tc.code, tc.name); !errors.Is(err, tc.want) {
			t.Errorf("Join(%q, %q) = %v, want %v", tc.code, tc.name, err, tc.want)
		}
	}
	m.SetState(c.ID, classroom.Closed)
	if _, _, err := m.Join(c.Code, "Léa"); !errors.Is(err, classroom.ErrClassClosed) {
		t.Errorf("closed class: %v", err)
	}
	m.SetState(c.ID, classroom.Open)
	if _, _, err := m.Join(c.Code, "Léa"); err != nil {
		t.Errorf("reopened class: %v", err)
	}
}

// TestBackWithPIN: the code, the name and the PIN bring a student back;
// a wrong PIN or another name does not.
func TestBackWithPIN(t *testing.T) {
	m := newManager(t, storage.NewMemory())
	c, _ := m.Create("CM2", "fr", nil)
	lea, _, _ := m.Join(c.Code, "Léa")
	if got, _, err := m.Back(c.Code, "léa", lea.PIN); err != nil || got.ID != lea.ID {
		t.Fatalf("back: %v %v", got.ID, err)
	}
	wrong := "000000"
	if wrong == lea.PIN {
		wrong = "111111"
	}
	for _, try := range [][2]string{{"Léa", wrong}, {"Tom", lea.PIN}, {"Léa", ""}} {
		if _, _, err := m.Back(c.Code, try[0], try[1]); !errors.Is(err, classroom.ErrBadPIN) {
			t.Errorf("Back(%q, %q) = %v", try[0], try[1], err)
		}
	}
}

// TestClassesSurviveANewManager: a manager built again on the same
// records finds the classes, students, their addresses and their mail.
func TestClassesSurviveANewManager(t *testing.T) {
	st, err := storage.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := newManager(t, st)
	c, _ := m.Create("2nde B", "fr", []string{"bcc"})
	lea, room, _ := m.Join(c.Code, "Léa")
	msg := &sandbox.Message{ID: "ABC", Mailbox: "lea", Raw: []byte("Subject: hi\r\n\r\nhello\r\n")}
	if err := room.World.Store.Deliver(msg, 1<<20, 1<<20); err != nil {
		t.Fatal(err)
	}
	again := newManager(t, st)
	got, room2, ok := again.Student(lea.ID)
	if !ok || got.Local != "lea" || got.Password != lea.Password || got.PIN != lea.PIN {
		t.Fatalf("student after reload: %+v %v", got, ok)
	}
	if room2.Class().Code != c.Code || room2.World.Domain != "2nde-b.test" {
		t.Errorf("class after reload: %+v", room2.Class())
	}
	if msgs := room2.World.Store.Messages("lea"); len(msgs) != 1 || msgs[0].UID != msg.UID {
		t.Errorf("lea's mail after reload: %v", msgs)
	}
	if _, ok := room2.World.Lookup("lea"); !ok {
		t.Error("lea's address is gone")
	}
}

func TestRemoveAndNewPassword(t *testing.T) {
	m := newManager(t, storage.NewMemory())
	c, _ := m.Create("CM2", "fr", nil)
	lea, room, _ := m.Join(c.Code, "Léa")
	pw, err := m.NewPassword(lea.ID)
	if err != nil || pw == lea.Password {
		t.Fatalf("new password %q %v", pw, err)
	}
	if e, _ := room.World.Lookup("lea"); e.Password != pw {
		t.Error("the class world still has the old password")
	}
	if err := m.Remove(lea.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := room.World.Lookup("lea"); ok {
		t.Error("a removed student keeps their address")
	}
	if _, _, ok := m.Student(lea.ID); ok {
		t.Error("a removed student is still found")
	}
}
