// Command benchtable reads `go test -bench` output of the compare module's
// benchmarks (any number of rounds, concatenated) on stdin and prints the
// medians as markdown tables: official SDK against pam for each operation,
// and the scaling benchmarks by number of resources.
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

// sample is one result line.
type sample struct{ ns, allocs float64 }

// results are the samples of each (operation, side), in input order of
// first appearance.
type results struct {
	ops     []string
	samples map[string]map[string][]sample // op → side → samples
	rounds  int                            // most samples of any benchmark
}

// line matches "BenchmarkName-2   1234   567.8 ns/op ... 12 allocs/op".
var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op.*?\s([0-9]+) allocs/op`)

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
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return nil, err
		}
		allocs, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return nil, err
		}
		if res.samples[op] == nil {
			res.samples[op] = map[string][]sample{}
			res.ops = append(res.ops, op)
		}
		s := append(res.samples[op][side], sample{ns, allocs})
		res.samples[op][side] = s
		res.rounds = max(res.rounds, len(s))
	}
	return res, sc.Err()
}

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

// median returns the median of the samples' ns/op and allocs/op.
func median(s []sample) (ns, allocs float64, ok bool) {
	if len(s) == 0 {
		return 0, 0, false
	}
	med := func(f func(sample) float64) float64 {
		v := make([]float64, len(s))
		for i, x := range s {
			v[i] = f(x)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return med(func(x sample) float64 { return x.ns }), med(func(x sample) float64 { return x.allocs }), true
}

func write(w io.Writer, res *results) {
	fmt.Fprintf(w, "Medians of %d interleaved rounds.\n\n", res.rounds)
	fmt.Fprintln(w, "| operation | official (ns/op) | pam (ns/op) | speedup | official allocs | pam allocs | alloc ratio |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	var scaling []string
	for _, op := range res.ops {
		if strings.HasPrefix(op, "Scaling/") {
			scaling = append(scaling, op)
			continue
		}
		o, p := res.samples[op]["official"], res.samples[op]["pam"]
		ons, oal, ok1 := median(o)
		pns, pal, ok2 := median(p)
		if !ok1 || !ok2 {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n",
			op, num(ons), num(pns), ratio(ons, pns), num(oal), num(pal), ratio(oal, pal))
	}
	if len(scaling) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Scaling: cost by number of resources. \"per added resource\" is the change in ns/op from the previous row divided by the resources added; it stays about constant when the cost grows linearly.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| operation | resources | official (ns/op) | pam (ns/op) | speedup | official ns per added resource | pam ns per added resource | official allocs | pam allocs |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	type prev struct{ n, ons, pns float64 }
	last := map[string]prev{}
	for _, op := range scaling {
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
		ons, oal, ok1 := median(res.samples[op]["official"])
		pns, pal, ok2 := median(res.samples[op]["pam"])
		if !ok1 || !ok2 {
			continue
		}
		od, pd := "–", "–"
		if p, ok := last[what]; ok && n > p.n {
			od, pd = num((ons-p.ons)/(n-p.n)), num((pns-p.pns)/(n-p.n))
		}
		last[what] = prev{n, ons, pns}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			what, parts[2], num(ons), num(pns), ratio(ons, pns), od, pd, num(oal), num(pal))
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

func ratio(a, b float64) string {
	if b == 0 {
		return "∞"
	}
	return strconv.FormatFloat(a/b, 'f', 1, 64) + "×"
}
