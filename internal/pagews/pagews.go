// Package pagews reads the page WebSocket as a browser page does, for the
// tests of the server and of the command.
package pagews

import (
	"encoding/json"

	"github.com/gorilla/websocket"
)

// Reader hands out a page WebSocket's messages one at a time: a frame
// holds one message, or an array of messages sent together.
type Reader struct {
	WS      *websocket.Conn
	backlog []json.RawMessage
}

// Next decodes the next message into v.
func (r *Reader) Next(v any) error {
	b, err := r.NextRaw()
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// NextRaw returns the next message as sent.
func (r *Reader) NextRaw() (json.RawMessage, error) {
	for len(r.backlog) == 0 {
		_, b, err := r.WS.ReadMessage()
		if err != nil {
			return nil, err
		}
		if len(b) > 0 && b[0] == '[' {
			if err := json.Unmarshal(b, &r.backlog); err != nil {
				return nil, err
			}
		} else {
			r.backlog = []json.RawMessage{b}
		}
	}
	b := r.backlog[0]
	r.backlog = r.backlog[1:]
	return b, nil
}
