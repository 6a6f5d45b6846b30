// Package sandbox is smtplab's mail world: the domain, its users and lists,
// the mailboxes, and the vocabulary every protocol engine shares — replies
// that carry their own explanation keys, and the events a session emits.
//
// The engines themselves live in sub-packages (smtp, pop3, pop2) and the TCP
// transport in tcp. Nothing here knows about HTTP or the browser: transports
// feed bytes in, and read replies and events out.
package sandbox
