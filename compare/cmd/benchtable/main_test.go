package main

import (
	"bytes"
	"strings"
	"testing"
)

const benchOutput = `goos: linux
BenchmarkParse/official/tok01-2    	   19196	     12000 ns/op	    7568 B/op	     258 allocs/op
BenchmarkParse/pam/tok01-2         	  209224	      1000 ns/op	    1984 B/op	      14 allocs/op
BenchmarkGrantInMemory/official-2  	    8458	     40000 ns/op	   80422 B/op	     365 allocs/op
BenchmarkGrantInMemory/pam-2       	   57042	      4000 ns/op	    6656 B/op	      30 allocs/op
BenchmarkScaling/grant/1/official-2	       1	     30000 ns/op	    1 B/op	     270 allocs/op
BenchmarkScaling/grant/1/pam-2     	       1	      3000 ns/op	    1 B/op	      30 allocs/op
BenchmarkScaling/grant/10/official-2	       1	     39000 ns/op	    1 B/op	     570 allocs/op
BenchmarkScaling/grant/10/pam-2    	       1	      3900 ns/op	    1 B/op	      31 allocs/op
PASS
BenchmarkParse/official/tok01-2    	   19196	     14000 ns/op	    7568 B/op	     258 allocs/op
BenchmarkParse/pam/tok01-2         	  209224	      1000 ns/op	    1984 B/op	      14 allocs/op
BenchmarkParse/official/tok01-2    	   19196	     13000 ns/op	    7568 B/op	     258 allocs/op
BenchmarkParse/pam/tok01-2         	  209224	      3000 ns/op	    1984 B/op	      14 allocs/op
BenchmarkUnpaired-2                	       1	      3000 ns/op	    1 B/op	      30 allocs/op
`

func TestTable(t *testing.T) {
	t.Parallel()
	res, err := parse(strings.NewReader(benchOutput))
	if err != nil {
		t.Fatal(err)
	}
	if res.rounds != 3 {
		t.Errorf("rounds = %d, want 3", res.rounds)
	}
	var b bytes.Buffer
	write(&b, res)
	out := b.String()
	for _, want := range []string{
		"Medians of 3 interleaved rounds.",
		"| Parse/tok01 | 13000 | 1000 | 13.0× | 258 | 14.0 | 18.4× |",
		"| GrantInMemory | 40000 | 4000 | 10.0× | 365 | 30.0 | 12.2× |",
		"| grant | 1 | 30000 | 3000 | 10.0× | – | – | 270 | 30.0 |",
		"| grant | 10 | 39000 | 3900 | 10.0× | 1000 | 100 | 570 | 31.0 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Unpaired") {
		t.Errorf("a benchmark without official/pam sides is in the table:\n%s", out)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	ns, allocs, ok := median([]sample{{4, 1}, {1, 3}, {3, 2}, {2, 4}})
	if !ok || ns != 2.5 || allocs != 2.5 {
		t.Errorf("median = %v, %v, %v; want 2.5, 2.5, true", ns, allocs, ok)
	}
	if _, _, ok := median(nil); ok {
		t.Error("median of nothing is ok")
	}
}
