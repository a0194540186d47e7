package pamtest

import "encoding/json"

// Message is one message published to the emulator.
type Message struct {
	// Channel is the channel it was published to.
	Channel string
	// Message is the message as published: a JSON value.
	Message json.RawMessage
	// Timetoken is the 17-digit timetoken the publish was answered with.
	Timetoken int64
	// UUID is the publisher's uuid= parameter; "" when it sent none.
	UUID string
}

// Messages returns the messages published to channel that the emulator
// keeps (the most recent 100 per channel, within the bounds in the package
// doc), oldest first, or nil when there are none: what a test reads to check that its code published, and what,
// without going through history and a token. The result is a copy.
func (s *Server) Messages(channel string) []Message { return s.h.published(channel) }

// published returns a copy of the kept messages of channel ch.
func (h *handler) published(ch string) []Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	msgs := h.messages.get(ch)
	if len(msgs) == 0 {
		return nil
	}
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		out[i] = Message{Channel: ch, Message: append(json.RawMessage(nil), m.msg...), Timetoken: m.timetoken, UUID: m.uuid}
	}
	return out
}
