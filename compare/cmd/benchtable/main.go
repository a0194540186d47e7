// Command benchtable reads `go test -bench` output of the compare module's
// benchmarks (any number of rounds, concatenated) on stdin and prints the
// medians as markdown tables: official SDK against pam for each operation,
// the scaling benchmarks by number of resources, and the benchmarks over
// TLS with latency (BenchmarkTLS) by operation, protocol and number in
// flight.
//
// A benchmark belongs to a side by a path element "official" or "pam";
// the operation is its name without that element, e.g.
// BenchmarkParse/official/tok01 and BenchmarkParse/pam/tok01 are the two
// sides of Parse/tok01. See ../../bench.sh.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(res.ops) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no official/pam benchmark pairs on stdin")
		os.Exit(1)
	}
	write(os.Stdout, res)
}

// sample is one result line: its metrics by unit ("ns/op", "allocs/op",
// "ops/s", ...).
type sample map[string]float64

// results are the samples of each (operation, side), in input order of
// first appearance.
type results struct {
	ops     []string
	samples map[string]map[string][]sample // op → side → samples
	rounds  int                            // most samples of any benchmark
}

// line matches "BenchmarkName-2   1234   567.8 ns/op   12 allocs/op ...".
var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader) (*results, error) {
	res := &results{samples: map[string]map[string][]sample{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		op, side := split(m[1])
		if side == "" {
			continue
		}
		smp, err := metrics(m[2])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m[1], err)
		}
		if !complete(op, smp) {
			continue
		}
		if res.samples[op] == nil {
			res.samples[op] = map[string][]sample{}
			res.ops = append(res.ops, op)
		}
		all := append(res.samples[op][side], smp)
		res.samples[op][side] = all
		res.rounds = max(res.rounds, len(all))
	}
	return res, sc.Err()
}

// metrics reads "value unit" pairs.
func metrics(s string) (sample, error) {
	f := strings.Fields(s)
	if len(f)%2 != 0 {
		return nil, fmt.Errorf("%q is not value-unit pairs", s)
	}
	out := sample{}
	for i := 0; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil, err
		}
		out[f[i+1]] = v
	}
	return out, nil
}

// tlsMetrics are the metrics every TLS benchmark reports.
var tlsMetrics = []string{"ops/s", "p50-ms", "p99-ms", "conns", "client-cpu-us/op"}

// complete reports whether a sample has what its table needs.
func complete(op string, s sample) bool {
	need := []string{"ns/op", "allocs/op"}
	if isTLS(op) {
		need = tlsMetrics
	}
	for _, unit := range need {
		if _, ok := s[unit]; !ok {
			return false
		}
	}
	return true
}

func isTLS(op string) bool { return strings.HasPrefix(op, "TLS/") }

// split removes the side element from a benchmark name.
func split(name string) (op, side string) {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		if p == "official" || p == "pam" {
			return strings.Join(slices.Delete(parts, i, i+1), "/"), p
		}
	}
	return name, ""
}

// median returns the median of the samples' metric unit.
func median(s []sample, unit string) (float64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = x[unit]
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// medians returns the medians of units for both sides of op.
func (res *results) medians(op string, units ...string) (official, pam []float64, ok bool) {
	o, p := res.samples[op]["official"], res.samples[op]["pam"]
	if len(o) == 0 || len(p) == 0 {
		return nil, nil, false
	}
	for _, u := range units {
		om, _ := median(o, u)
		pm, _ := median(p, u)
		official, pam = append(official, om), append(pam, pm)
	}
	return official, pam, true
}

func write(w io.Writer, res *results) {
	var main, scaling, tls []string
	for _, op := range res.ops {
		switch {
		case strings.HasPrefix(op, "Scaling/"):
			scaling = append(scaling, op)
		case isTLS(op):
			tls = append(tls, op)
		default:
			main = append(main, op)
		}
	}
	if len(main) > 0 {
		writeMain(w, res, main)
	}
	if len(scaling) > 0 {
		writeScaling(w, res, scaling)
	}
	if len(tls) > 0 {
		writeTLS(w, res, tls)
	}
}

// roundsOf returns the most samples any side of ops has.
func (res *results) roundsOf(ops []string) int {
	n := 0
	for _, op := range ops {
		for _, s := range res.samples[op] {
			n = max(n, len(s))
		}
	}
	return n
}

func writeMain(w io.Writer, res *results, ops []string) {
	fmt.Fprintf(w, "Medians of %d interleaved rounds.\n\n", res.roundsOf(ops))
	fmt.Fprintln(w, "| operation | official (ns/op) | pam (ns/op) | speedup | official allocs | pam allocs | alloc ratio |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, op := range ops {
		o, p, ok := res.medians(op, "ns/op", "allocs/op")
		if !ok {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n",
			op, num(o[0]), num(p[0]), ratio(o[0], p[0]), num(o[1]), num(p[1]), ratio(o[1], p[1]))
	}
}

func writeScaling(w io.Writer, res *results, ops []string) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Scaling: cost by number of resources. \"per added resource\" is the change in ns/op from the previous row divided by the resources added; it stays about constant when the cost grows linearly.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| operation | resources | official (ns/op) | pam (ns/op) | speedup | official ns per added resource | pam ns per added resource | official allocs | pam allocs |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	type prev struct{ n, ons, pns float64 }
	last := map[string]prev{}
	for _, op := range ops {
		// Scaling/<what>/<n>
		parts := strings.Split(op, "/")
		if len(parts) != 3 {
			continue
		}
		what := parts[1]
		n, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			continue
		}
		o, p, ok := res.medians(op, "ns/op", "allocs/op")
		if !ok {
			continue
		}
		od, pd := "–", "–"
		if l, ok := last[what]; ok && n > l.n {
			od, pd = num((o[0]-l.ons)/(n-l.n)), num((p[0]-l.pns)/(n-l.n))
		}
		last[what] = prev{n, o[0], p[0]}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			what, parts[2], num(o[0]), num(p[0]), ratio(o[0], p[0]), od, pd, num(o[1]), num(p[1]))
	}
}

// protocols are what the TLS benchmarks' server offers, in the order of
// their tables, with the sentence that heads each table.
var protocols = []struct{ key, title string }{
	{"h1", "Server offers HTTP/1.1 only, what every origin speaks: the headline figures."},
	{"h2", "Server offers HTTP/2 and HTTP/1.1: pam uses HTTP/2, one connection for all requests once it is up; the official SDK's transport never attempts HTTP/2 and stays on HTTP/1.1."},
}

func writeTLS(w io.Writer, res *results, ops []string) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Over TLS with latency: medians of %d interleaved rounds. Throughput in operations per second, latency of one operation in milliseconds, connections the server accepted, CPU time of the client process per operation.\n", res.roundsOf(ops))
	for _, proto := range protocols {
		var rows []string
		for _, op := range ops {
			// TLS/<what>/<protocol>/<in flight>
			parts := strings.Split(op, "/")
			if len(parts) != 4 || parts[2] != proto.key {
				continue
			}
			o, p, ok := res.medians(op, tlsMetrics...)
			if !ok {
				continue
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s | %s |",
				parts[1], parts[3], num(o[0]), num(p[0]), ratio2(p[0], o[0]),
				num(o[1]), num(o[2]), num(p[1]), num(p[2]), count(o[3]), count(p[3]), num(o[4]), num(p[4])))
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n\n", proto.title)
		fmt.Fprintln(w, "| operation | in flight | official ops/s | pam ops/s | pam/official | official p50 / p99 ms | pam p50 / p99 ms | official conns | pam conns | official CPU µs/op | pam CPU µs/op |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, r := range rows {
			fmt.Fprintln(w, r)
		}
	}
}

// num formats a figure with three significant digits at most, as an
// integer from 100 on.
func num(v float64) string {
	switch {
	case v >= 100 || v <= -100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10 || v <= -10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// count formats a count, or the median of counts, which may end in .5.
func count(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// ratio2 is ratio with two decimals.
func ratio2(a, b float64) string {
	if b == 0 {
		return "∞"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64) + "×"
}

func ratio(a, b float64) string {
	if b == 0 {
		return "∞"
	}
	return strconv.FormatFloat(a/b, 'f', 1, 64) + "×"
}
