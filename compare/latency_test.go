package compare

import (
	"bytes"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// latencyListener makes every accepted connection behave as if it crossed
// a network with the given one-way latency (see latencyConn).
type latencyListener struct {
	net.Listener
	delay time.Duration
}

// Accept wraps the accepted connection.
func (l latencyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.delay <= 0 {
		return c, err
	}
	return newLatencyConn(c, l.delay, time.Now()), nil
}

// latencyConn is the server's end of a connection with a one-way latency:
// each packet (what one Read of the socket returned, or what one Write
// sent) reaches the other end delay after it was sent, independently of
// the others, as on a network link whose bandwidth is not the limit.
// Packets are never held back behind each other's delay, so a burst of
// requests costs one delay, not one per request.
//
// Both directions are delayed on this side: what the client sends is held
// until delay after it arrived, and what the server writes is sent delay
// after the Write, so a request and its answer take one round trip, 2×delay.
// The kernel completes a TCP connect on loopback at once, so the first
// packet of a connection is also held until one more round trip after the
// accept, which stands for the TCP handshake.
type latencyConn struct {
	net.Conn
	delay time.Duration
	ready time.Time // no packet from the client arrives before this

	in        chan packet // from the client, as read by pump
	out       chan packet // to the client, written by send
	closed    chan struct{}
	closeOnce sync.Once

	rmu     sync.Mutex // serialises Read; guards held and pending
	held    *packet    // next packet from the client, not yet due
	pending []byte     // rest of a due packet

	dmu      sync.Mutex // guards deadline and changed
	deadline time.Time  // read deadline
	changed  chan struct{}
}

// packet is data (or the error that ended the stream) and when it reaches
// the other end.
type packet struct {
	b   []byte
	err error
	at  time.Time
}

func newLatencyConn(c net.Conn, delay time.Duration, accepted time.Time) *latencyConn {
	lc := &latencyConn{
		Conn:    c,
		delay:   delay,
		ready:   accepted.Add(3 * delay),
		in:      make(chan packet, 64),
		out:     make(chan packet, 1024),
		closed:  make(chan struct{}),
		changed: make(chan struct{}),
	}
	go lc.pump()
	go lc.send()
	return lc
}

// arrival is when a packet the client sent, received at now, is due: delay
// later, and not before the connection's handshake round trip is over.
func arrival(now time.Time, delay time.Duration, ready time.Time) time.Time {
	at := now.Add(delay)
	if at.Before(ready) {
		return ready
	}
	return at
}

// pump reads the client's packets from the socket as they come and stamps
// them with their arrival time.
func (c *latencyConn) pump() {
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Conn.Read(buf)
		at := arrival(time.Now(), c.delay, c.ready)
		if n > 0 && !c.queue(packet{b: bytes.Clone(buf[:n]), at: at}) {
			return
		}
		if err != nil {
			c.queue(packet{err: err, at: at})
			return
		}
	}
}

func (c *latencyConn) queue(p packet) bool {
	select {
	case c.in <- p:
		return true
	case <-c.closed:
		return false
	}
}

// send writes the server's packets to the socket when they are due. After
// Close it sends what was written before, then closes the socket.
func (c *latencyConn) send() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	deliver := func(p packet) {
		if d := time.Until(p.at); d > 0 {
			t.Reset(d)
			<-t.C
		}
		if _, err := c.Conn.Write(p.b); err != nil {
			c.closeOnce.Do(func() { close(c.closed) })
		}
	}
	for {
		select {
		case p := <-c.out:
			deliver(p)
		case <-c.closed:
			for {
				select {
				case p := <-c.out:
					deliver(p)
				default:
					_ = c.Conn.Close()
					return
				}
			}
		}
	}
}

// Read returns the client's data once it is due.
func (c *latencyConn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if len(c.pending) > 0 {
			n := copy(b, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		if p := c.held; p != nil && !time.Now().Before(p.at) {
			if p.err != nil {
				return 0, p.err // and again on every later Read
			}
			c.held, c.pending = nil, p.b
			continue
		}
		if err := c.wait(); err != nil {
			return 0, err
		}
	}
}

// wait blocks until a packet arrives from pump, the held packet is due,
// the read deadline passes or changes, or the connection is closed.
func (c *latencyConn) wait() error {
	c.dmu.Lock()
	deadline, changed := c.deadline, c.changed
	c.dmu.Unlock()
	if !deadline.IsZero() && !time.Now().Before(deadline) {
		return os.ErrDeadlineExceeded
	}
	wake, in := deadline, c.in
	if c.held != nil {
		in = nil
		if wake.IsZero() || c.held.at.Before(wake) {
			wake = c.held.at
		}
	}
	var timeout <-chan time.Time
	if !wake.IsZero() {
		t := time.NewTimer(time.Until(wake))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p := <-in:
		c.held = &p
	case <-timeout:
	case <-changed:
	case <-c.closed:
		return net.ErrClosed
	}
	return nil
}

// Write queues b to reach the client delay from now.
func (c *latencyConn) Write(b []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	select {
	case c.out <- packet{b: bytes.Clone(b), at: time.Now().Add(c.delay)}:
		return len(b), nil
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

// Close stops reading; what was written is still sent, then the socket is
// closed.
func (c *latencyConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// SetDeadline sets the read deadline; writes never block for long, so the
// write deadline is not needed.
func (c *latencyConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline sets the read deadline and wakes a blocked Read to see it.
func (c *latencyConn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	c.deadline = t
	close(c.changed)
	c.changed = make(chan struct{})
	c.dmu.Unlock()
	return nil
}

// SetWriteDeadline does nothing: see SetDeadline.
func (c *latencyConn) SetWriteDeadline(time.Time) error { return nil }

// TestArrival: a packet is due delay after it was received, and none before
// the connection's handshake round trip is over.
func TestArrival(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	const d = 5 * time.Millisecond
	ready := t0.Add(3 * d)
	for _, tc := range []struct {
		name     string
		received time.Time
		want     time.Time
	}{
		{"first packet, at the accept", t0, ready},
		{"first packet, one delay after the accept", t0.Add(d), ready},
		{"packet after the handshake", t0.Add(10 * d), t0.Add(11 * d)},
		{"exactly at ready", t0.Add(2 * d), ready},
	} {
		assert.Equal(t, tc.want, arrival(tc.received, d, ready), tc.name)
	}
}

// latencyPair returns the server's end (a latencyConn) and the client's end
// of a loopback TCP connection.
func latencyPair(t *testing.T, delay time.Duration) (server net.Conn, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	l := latencyListener{Listener: ln, delay: delay}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	server, ok := <-accepted
	require.True(t, ok, "accept failed")
	t.Cleanup(func() { server.Close() })
	_, isLatency := server.(*latencyConn)
	require.True(t, isLatency)
	return server, client
}

// TestLatencyConnEcho: what goes through the connection both ways arrives
// whole and in order, in writes of any size.
func TestLatencyConnEcho(t *testing.T) {
	t.Parallel()
	server, client := latencyPair(t, time.Millisecond)
	go func() { _, _ = io.Copy(server, server) }()
	var sent bytes.Buffer
	for i, size := range []int{1, 100, 4096, 200 << 10} {
		msg := bytes.Repeat([]byte{byte('a' + i)}, size)
		sent.Write(msg)
		_, err := client.Write(msg)
		require.NoError(t, err)
	}
	got := make([]byte, sent.Len())
	_, err := io.ReadFull(client, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(sent.Bytes(), got), "echoed bytes differ")
}

// TestLatencyConnDeadline: a read deadline in the past fails a Read with a
// timeout at once, setting one wakes a blocked Read, and data held back
// meanwhile is still delivered once the deadline is cleared.
func TestLatencyConnDeadline(t *testing.T) {
	t.Parallel()
	server, client := latencyPair(t, time.Millisecond)
	buf := make([]byte, 16)

	require.NoError(t, server.SetReadDeadline(time.Now().Add(-time.Second)))
	_, err := server.Read(buf)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())

	require.NoError(t, server.SetReadDeadline(time.Time{}))
	done := make(chan error, 1)
	go func() {
		_, err := server.Read(buf)
		done <- err
	}()
	require.NoError(t, server.SetReadDeadline(time.Now())) // as net/http does to abort a background read
	err = <-done
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())

	_, err = client.Write([]byte("hello"))
	require.NoError(t, err)
	require.NoError(t, server.SetReadDeadline(time.Time{}))
	n, err := io.ReadAtLeast(server, buf, 5)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf[:n]))
}

// TestLatencyConnClose: Close ends a blocked Read and later Writes, and
// what was written before it still reaches the client, then EOF.
func TestLatencyConnClose(t *testing.T) {
	t.Parallel()
	server, client := latencyPair(t, time.Millisecond)
	done := make(chan error, 1)
	go func() {
		_, err := server.Read(make([]byte, 1))
		done <- err
	}()
	_, err := server.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, server.Close())
	assert.ErrorIs(t, <-done, net.ErrClosed)
	_, err = server.Write([]byte("more"))
	assert.ErrorIs(t, err, net.ErrClosed)

	got, err := io.ReadAll(client)
	require.NoError(t, err)
	assert.Equal(t, "bye", string(got))
}
