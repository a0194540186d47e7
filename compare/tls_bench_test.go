package compare

// BenchmarkTLS: the production shape. Each SDK, on its own defaults, in a
// subprocess of its own, grants (revokes, publishes) against the pamtest
// emulator served over TLS by an httptest server whose connections add a
// one-way latency to every packet, with 1, 8, 32 and 128 operations in
// flight. The subprocess measures throughput and latency; this process
// counts the connections the server accepted.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	"github.com/stretchr/testify/assert"
)

var (
	tlsLatency  = flag.Duration("compare.latency", 5*time.Millisecond, "BenchmarkTLS: one-way latency of every packet")
	tlsInFlight = flag.String("compare.inflight", "1,8,32,128", "BenchmarkTLS: operations in flight, comma-separated")
	tlsHTTP     = flag.String("compare.http", "h1,h2", "BenchmarkTLS: what the server offers: h1 (HTTP/1.1 only), h2 (HTTP/2 and HTTP/1.1)")
	tlsOps      = flag.String("compare.ops", "grant,revoke,publish", "BenchmarkTLS: operations, comma-separated")
	tlsProfile  = flag.String("compare.cpuprofile", "", "BenchmarkTLS: a directory where each subprocess writes a CPU profile of its run")
)

// TestTLSOneConnection: pam on its defaults, in a subprocess that trusts
// the server's certificate through SSL_CERT_FILE, does every operation over
// one connection when one is in flight, whether the server offers HTTP/2
// or only HTTP/1.1.
func TestTLSOneConnection(t *testing.T) {
	t.Parallel()
	certDir := writeCert(t)
	for _, op := range []string{"grant", "revoke", "publish"} {
		for _, proto := range []string{"h1", "h2"} {
			t.Run(op+"/"+proto, func(t *testing.T) {
				t.Parallel()
				r := tlsRun{op: op, h2: proto == "h2", inFlight: 1, sdk: "pam", certDir: certDir}
				res, conns, _ := r.run(t, 10, time.Millisecond)
				assert.Equal(t, 10, res.Ops)
				assert.Equal(t, int64(1), conns, "connections for 11 operations")
			})
		}
	}
}

// BenchmarkTLS runs, for each operation, server protocol and number in
// flight, the official SDK then pam, each in a subprocess that does one
// operation per slot in flight to warm up, then b.N per slot (b.N×inFlight
// in all), which it measures. It reports
//
//	ns/op            wall time per measured operation (1/throughput)
//	ops/s            operations per second
//	p50-ms, p99-ms   latency of one operation
//	conns            connections the server accepted during the whole run, warm-up included
//	client-cpu-us/op CPU time of the subprocess per operation
//	server-cpu-us/op CPU time of this process (server, TLS, emulator) per operation
func BenchmarkTLS(b *testing.B) {
	certDir := writeCert(b)
	inFlight, err := ints(*tlsInFlight)
	if err != nil {
		b.Fatal(err)
	}
	for _, op := range strings.Split(*tlsOps, ",") {
		for _, proto := range strings.Split(*tlsHTTP, ",") {
			for _, n := range inFlight {
				for _, sdk := range []string{"official", "pam"} {
					run := tlsRun{op: op, h2: proto == "h2", inFlight: n, sdk: sdk, certDir: certDir}
					b.Run(fmt.Sprintf("%s/%s/%d/%s", op, proto, n, sdk), run.bench)
				}
			}
		}
	}
}

// tlsRun is one sub-benchmark of BenchmarkTLS.
type tlsRun struct {
	op       string
	h2       bool
	inFlight int
	sdk      string
	certDir  string // holds cert.pem, the server's certificate
}

func (r tlsRun) bench(b *testing.B) {
	res, conns, serverCPU := r.run(b, b.N, *tlsLatency)
	report(b, res, conns, serverCPU)
}

// run starts a fresh emulator behind a latency server, runs r's subprocess
// with perSlot measured operations per slot, and returns its result, the
// connections the server accepted and the CPU time this process spent
// meanwhile.
func (r tlsRun) run(tb testing.TB, perSlot int, delay time.Duration) (childResult, int64, time.Duration) {
	tb.Helper()
	s, err := newLatencyServer(pamtest.NewHandler(pamtest.WithKeys(benchKeys)), r.h2, delay)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	cfg := childConfig{
		SDK: r.sdk, Op: r.op, Origin: s.Listener.Addr().String(),
		Keys:     keys{benchKeys.Subscribe, benchKeys.Publish, benchKeys.Secret},
		InFlight: r.inFlight, PerSlot: perSlot,
	}
	if *tlsProfile != "" {
		cfg.CPUProfile = filepath.Join(*tlsProfile, strings.ReplaceAll(tb.Name(), "/", "_")+".prof")
	}
	switch r.op {
	case "revoke":
		cfg.Tokens = filepath.Join(tb.TempDir(), "tokens")
		if err := os.WriteFile(cfg.Tokens, []byte(strings.Join(mint(tb, r.inFlight*(perSlot+1)), "\n")), 0o600); err != nil {
			tb.Fatal(err)
		}
	case "publish":
		cfg.Tokens = mint(tb, 1)[0]
	}
	cmd, err := r.command(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	cpu0 := cpuTime()
	out, err := cmd.Output()
	serverCPU := cpuTime() - cpu0
	if err != nil {
		tb.Fatalf("%s %s: %v", r.sdk, r.op, err)
	}
	s.Close()
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		tb.Fatalf("%s %s: %v in %q", r.sdk, r.op, err, out)
	}
	return res, s.conns.Load(), serverCPU
}

// command returns the subprocess for cfg: this test binary, which trusts
// the server's certificate through SSL_CERT_FILE.
func (r tlsRun) command(cfg childConfig) (*exec.Cmd, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw),
		"SSL_CERT_FILE="+filepath.Join(r.certDir, "cert.pem"), "SSL_CERT_DIR="+r.certDir)
	cmd.Stderr = os.Stderr
	return cmd, nil
}

func report(b *testing.B, res childResult, conns int64, serverCPU time.Duration) {
	ops := float64(res.Ops)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(float64(res.Elapsed)/ops, "ns/op")
	b.ReportMetric(ops/res.Elapsed.Seconds(), "ops/s")
	b.ReportMetric(ms(res.P50), "p50-ms")
	b.ReportMetric(ms(res.P99), "p99-ms")
	b.ReportMetric(float64(conns), "conns")
	b.ReportMetric(float64(res.CPU)/float64(time.Microsecond)/ops, "client-cpu-us/op")
	b.ReportMetric(float64(serverCPU)/float64(time.Microsecond)/ops, "server-cpu-us/op")
}

// latencyServer is an httptest TLS server whose connections have a one-way
// latency, counting the connections it accepts.
type latencyServer struct {
	*httptest.Server
	conns atomic.Int64
}

// newLatencyServer serves h over TLS with the given one-way latency,
// offering HTTP/2 (and HTTP/1.1) with h2, else HTTP/1.1 only.
func newLatencyServer(h http.Handler, h2 bool, delay time.Duration) (*latencyServer, error) {
	cert, err := serverCert()
	if err != nil {
		return nil, err
	}
	s := &latencyServer{Server: httptest.NewUnstartedServer(h)}
	s.Listener = latencyListener{Listener: s.Listener, delay: delay}
	s.EnableHTTP2 = h2
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	if h2 {
		s.TLS.NextProtos = []string{"h2", "http/1.1"}
	}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes cut short when a subprocess exits
	s.StartTLS()
	return s, nil
}

// serverCert is the servers' certificate, self-signed for 127.0.0.1, with
// an ECDSA P-256 key: signing a handshake with it costs the server tens of
// microseconds where httptest's RSA-2048 key costs over a millisecond. The
// server shares the machine with the SDK under test, which a real origin
// does not, so a cheap server handshake keeps the server's work from
// slowing down the SDK that opens more connections.
var serverCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
})

// writeCert writes the servers' certificate to cert.pem in a temporary
// directory, for SSL_CERT_FILE, and returns the directory.
func writeCert(tb testing.TB) string {
	cert, err := serverCert()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), block, 0o600); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// mint grants n distinct tokens with the emulator in memory: each allows
// user-1 to write on room-1 (what the publish benchmark needs) and read a
// channel of its own, so that no two are equal.
func mint(tb testing.TB, n int) []string {
	h := pamtest.NewHandler(pamtest.WithKeys(benchKeys))
	c, err := pam.New(benchKeys, pam.WithOrigin("http://pam.invalid"),
		pam.WithHTTPClient(&http.Client{Transport: handlerTransport{h}}))
	if err != nil {
		tb.Fatal(err)
	}
	toks := make([]string, n)
	for i := range toks {
		req := pam.NewTokenRequest(time.Hour).AuthorizedUUID("user-1").
			Channel("room-1", pam.Write).Channel("mint-"+strconv.Itoa(i), pam.Read)
		if toks[i], err = c.GrantToken(context.Background(), req); err != nil {
			tb.Fatal(err)
		}
	}
	return toks
}

// handlerTransport serves requests with an http.Handler, in memory.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// ints parses a comma-separated list of positive integers.
func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a list of positive integers", s)
		}
		out = append(out, n)
	}
	return out, nil
}
