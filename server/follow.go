package server

import (
	"time"

	"smtplab/sandbox"
)

// A terminal follows the mail its sessions got accepted: once a message
// is queued for another server, the queue runner hands it on through a
// relay session in that server's world, outside any step of the
// terminal, and the page shows that session and what the queue did
// beside the terminal's own. A terminal follows a message by the server
// whose queue id it has (queue ids are unique within a world): the
// message events of its sessions, then those of the sessions it follows
// (a second hop), and the reports that come back.
const (
	// MaxFollowedMessages bounds the messages a terminal follows: the
	// newest are kept, an older one is forgotten.
	MaxFollowedMessages = 64
	// MaxFollowedSessions bounds the relay sessions a terminal follows at
	// once; a session is let go when it closes.
	MaxFollowedSessions = 16
	// FollowedBatchWait is how long a terminal gathers the events of what
	// it follows before it passes them on as one batch: a relay attempt
	// is over within it, and its events go together, as a step's do.
	FollowedBatchWait = 10 * time.Millisecond
	// MaxFollowedPending bounds the followed events waiting for their
	// batch. Past it, lines of message text are left out (what a session
	// says beside its text is a few dozen events), past twice as many,
	// any event.
	MaxFollowedPending = 1024
)

// mailKey names a message by the server that queued it, as a relay
// session's Via does.
type mailKey struct{ host, id string }

// sessionKey names a session: its ids are unique within its world only.
type sessionKey struct {
	w  *sandbox.World
	id string
}

// trail is what a terminal follows. It is not safe for concurrent use:
// the terminal guards it with qmu.
type trail struct {
	mails    []mailKey // oldest first
	sessions []sessionKey
}

// follow adds a message, forgetting the oldest past MaxFollowedMessages.
func (tr *trail) follow(k mailKey) {
	if k.id == "" || tr.follows(k) {
		return
	}
	if len(tr.mails) >= MaxFollowedMessages {
		tr.mails = append(tr.mails[:0], tr.mails[1:]...)
	}
	tr.mails = append(tr.mails, k)
}

func (tr *trail) follows(k mailKey) bool {
	for _, m := range tr.mails {
		if m == k {
			return true
		}
	}
	return false
}

func (tr *trail) watching(k sessionKey) bool {
	for _, s := range tr.sessions {
		if s == k {
			return true
		}
	}
	return false
}

// watch adds a relay session, forgetting the oldest past
// MaxFollowedSessions (one whose close never came).
func (tr *trail) watch(k sessionKey) {
	if len(tr.sessions) >= MaxFollowedSessions {
		tr.sessions = append(tr.sessions[:0], tr.sessions[1:]...)
	}
	tr.sessions = append(tr.sessions, k)
}

func (tr *trail) unwatch(k sessionKey) {
	for i, s := range tr.sessions {
		if s == k {
			tr.sessions = append(tr.sessions[:i], tr.sessions[i+1:]...)
			return
		}
	}
}

// match reports whether ev, of world w, is part of what the trail
// follows: an event of a relay session it watches, or the open event of
// one that carries a message it follows, or what a queue did with such a
// message or a report on it. A relay session it starts watching is
// watched from now on.
func (tr *trail) match(w *sandbox.World, ev sandbox.Event) bool {
	if ev.Session != "" {
		k := sessionKey{w, ev.Session}
		if tr.watching(k) {
			return true
		}
		if o := ev.Open; o != nil && o.Transport == sandbox.TransportRelay && o.Via != nil &&
			tr.follows(mailKey{o.Via.Host, o.Via.Queue}) {
			tr.watch(k)
			return true
		}
		return false
	}
	switch {
	case ev.Queue != nil:
		return tr.about(w, ev.Queue.ID, ev.Queue.Original)
	case ev.Delivery != nil:
		return tr.about(w, ev.Delivery.MessageID, ev.Delivery.Original)
	}
	return false
}

// about reports whether message id of w, or the one it reports on, is
// followed.
func (tr *trail) about(w *sandbox.World, id, original string) bool {
	return tr.follows(mailKey{w.Host, id}) || original != "" && tr.follows(mailKey{w.Host, original})
}

// note follows what ev of world w adds to the trail: the message a
// session got accepted or put in the queue (a report included), and the
// end of a relay session it watches.
func (tr *trail) note(w *sandbox.World, ev sandbox.Event) {
	switch {
	case ev.Message != nil:
		tr.follow(mailKey{w.Host, ev.Message.ID})
	case ev.Queue != nil && ev.Queue.Action == sandbox.QueueQueued:
		tr.follow(mailKey{w.Host, ev.Queue.ID})
	case ev.Kind == sandbox.EventClose && ev.Session != "":
		tr.unwatch(sessionKey{w, ev.Session})
	}
}

// pageSession is the name a page knows a followed session by: session
// ids are numbered per world, so the server's host goes before the id.
func pageSession(host, id string) string { return host + "/" + id }

// followedEvent is ev as the page of a terminal that follows it gets
// it: its session, and the relay session a queue event names, under the
// name pageSession gives them. hostOf finds the name of the server the
// queue tried (the world behind an MX name). ev is shared with every
// observer of its world: what changes is copied.
func followedEvent(w *sandbox.World, ev sandbox.Event, hostOf func(string) string) sandbox.Event {
	if ev.Session != "" {
		ev.Session = pageSession(w.Host, ev.Session)
	}
	if q := ev.Queue; q != nil && q.Session != "" {
		c := *q
		c.Session = pageSession(hostOf(q.Host), q.Session)
		ev.Queue = &c
	}
	return ev
}

// claim reports whether ev of world w is for t, and how: an event of its
// own session, or of what it follows. Either may add to what t follows.
// It is called by route for every event of the visitor's worlds, while a
// step may run: it uses qmu only.
func (t *terminal) claim(w *sandbox.World, ev sandbox.Event) (own, followed bool) {
	t.qmu.Lock()
	defer t.qmu.Unlock()
	own = ev.Session != "" && ev.Session == t.current && w == t.world
	if own || t.trail.match(w, ev) {
		t.trail.note(w, ev)
		return own, !own
	}
	return false, false
}

// queueFollowed keeps an event of what t follows until its batch goes,
// and sets that batch on its way if it is not already.
func (t *terminal) queueFollowed(ev sandbox.Event) {
	t.qmu.Lock()
	if t.gone {
		t.qmu.Unlock()
		return
	}
	if n := len(t.followed); n < MaxFollowedPending || n < 2*MaxFollowedPending && (ev.Input == nil || !ev.Input.Data) {
		t.followed = append(t.followed, ev)
	}
	start := !t.flushing
	t.flushing = true
	t.qmu.Unlock()
	if start {
		time.AfterFunc(FollowedBatchWait, t.flushFollowed)
	}
}

// flushFollowed passes on, as one batch, the followed events gathered
// since the last: to the page, the watching teachers, the lessons and
// the transcript, as a step's events go. The relay runs on a timer of
// its own, so no step of the terminal would. One flush runs at a time,
// so batches go in the order their events came.
func (t *terminal) flushFollowed() {
	t.fmu.Lock()
	defer t.fmu.Unlock()
	t.qmu.Lock()
	evs := t.followed
	t.followed, t.flushing = nil, false
	gone := t.gone
	t.qmu.Unlock()
	if len(evs) == 0 || gone {
		return
	}
	t.publish(evs)
	if touchesMailboxes(evs) {
		t.v.mailboxesChanged() // a report came back to a mailbox of the visitor's
	}
}

// forgetFollowed drops what t follows and the events waiting for their
// batch, once a batch under way has gone: the world was reset, or the
// terminal closed.
func (t *terminal) forgetFollowed() {
	t.fmu.Lock()
	defer t.fmu.Unlock()
	t.qmu.Lock()
	t.followed, t.trail = nil, trail{}
	t.qmu.Unlock()
}
