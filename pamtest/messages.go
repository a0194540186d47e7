package pamtest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Bounds on publishing and on the published messages the emulator keeps.
const (
	// maxPublishBytes is the service's message size limit: the channel and
	// the message, as sent (escaped), at most 32 KiB. Longer publishes are
	// answered 413 "Message Too Large".
	maxPublishBytes = 32 << 10
	// maxMessagesPerChannel is how many messages history keeps per channel.
	maxMessagesPerChannel = 100
	// maxKeptBytes bounds the bytes of everything kept: messages, their
	// uuids and channel names, each with keptOverhead. The oldest messages
	// go first.
	maxKeptBytes = 32 << 20
	// maxKeptMessages bounds how many messages are kept in all.
	maxKeptMessages = 100_000
	// keptOverhead is what each kept message and channel counts besides its
	// bytes: the structures that hold it.
	keptOverhead = 96
	// maxHistoryChannels bounds the channels one history request names.
	maxHistoryChannels = 500
)

// message is one published message.
type message struct {
	msg       json.RawMessage
	timetoken int64
	uuid      string
}

// size is the bytes the message counts against maxKeptBytes.
func (m *message) size() int { return len(m.msg) + len(m.uuid) + keptOverhead }

// channel keeps the most recent messages of one channel, oldest first.
type channel struct {
	name  string
	msgs  []message
	first uint64 // the sequence number of msgs[0]; one more for each message dropped
}

// keptRef names one kept message in publish order: the seq-th message of
// channel c. It is stale once c has dropped that message.
type keptRef struct {
	c   *channel
	seq uint64
}

// messageStore is every kept message, per channel (for history) and in
// publish order (to drop the oldest first). Its methods are called with
// the handler's mutex held.
type messageStore struct {
	channels map[string]*channel
	order    []keptRef // publish order from order[head]; stale refs included
	head     int
	bytes    int // kept bytes, as counted by message.size and keptOverhead

	maxBytes, maxMessages, perChannel int // the bounds; tests shrink them
}

func newMessageStore() *messageStore {
	return &messageStore{
		channels: make(map[string]*channel),
		maxBytes: maxKeptBytes, maxMessages: maxKeptMessages, perChannel: maxMessagesPerChannel,
	}
}

// add keeps m as the newest message of channel ch, then drops the oldest
// messages (of ch past the per-channel bound, of any channel past the
// store's bounds) until every bound holds again.
func (s *messageStore) add(ch string, m message) {
	c, ok := s.channels[ch]
	if !ok {
		c = &channel{name: ch}
		s.channels[ch] = c
		s.bytes += len(ch) + keptOverhead
	}
	if len(c.msgs) >= s.perChannel {
		s.dropFirst(c)
	}
	c.msgs = append(c.msgs, m)
	s.bytes += m.size()
	s.order = append(s.order, keptRef{c, c.first + uint64(len(c.msgs)) - 1})
	for s.head < len(s.order) && (s.bytes > s.maxBytes || len(s.order)-s.head > s.maxMessages) {
		s.dropOldest()
	}
}

// dropOldest takes the oldest ref off the publish-order queue and drops
// its message, unless the ref is stale (the message went already).
func (s *messageStore) dropOldest() {
	r := s.order[s.head]
	s.order[s.head] = keptRef{}
	s.head++
	if r.seq >= r.c.first && len(r.c.msgs) > 0 {
		s.dropFirst(r.c)
	}
	// Reclaim the consumed front once it is half of the queue.
	if s.head > len(s.order)/2 {
		n := copy(s.order, s.order[s.head:])
		clear(s.order[n:])
		s.order, s.head = s.order[:n], 0
	}
}

// dropFirst drops the oldest message of c, and c itself once empty.
func (s *messageStore) dropFirst(c *channel) {
	s.bytes -= c.msgs[0].size()
	c.msgs[0] = message{}
	c.msgs = c.msgs[1:]
	c.first++
	if len(c.msgs) == 0 {
		c.msgs = nil
		if s.channels[c.name] == c {
			delete(s.channels, c.name)
			s.bytes -= len(c.name) + keptOverhead
		}
	}
}

// get returns the kept messages of channel ch, oldest first.
func (s *messageStore) get(ch string) []message {
	if c, ok := s.channels[ch]; ok {
		return c.msgs
	}
	return nil
}

// publishSize is what the service's message size limit counts: the channel
// and the message of a publish path, as sent (still escaped).
func publishSize(segs []string) int {
	n := len(segs[5])
	for i, s := range segs[7:] {
		if i > 0 {
			n++ // the "/" between segments
		}
		n += len(s)
	}
	return n
}

// tooLarge answers a publish over maxPublishBytes as the service does:
// 413 [0,"Message Too Large","<timetoken>"].
func (h *handler) tooLarge(w http.ResponseWriter, q *request) {
	tt := strconv.FormatInt(h.timetoken(q.now), 10)
	writeBody(w, q.now, http.StatusRequestEntityTooLarge, []byte(`[0,"Message Too Large","`+tt+`"]`))
}
