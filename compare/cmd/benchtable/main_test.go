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
BenchmarkTLS/grant/h1/32/official-2 	      60	    411154 ns/op	       286.1 client-cpu-us/op	        32.00 conns	      2000 ops/s	        11.90 p50-ms	        56.87 p99-ms	       214.1 server-cpu-us/op
BenchmarkTLS/grant/h1/32/pam-2      	      60	    388747 ns/op	       125.1 client-cpu-us/op	        30.00 conns	      2600 ops/s	        11.36 p50-ms	        56.41 p99-ms	       194.4 server-cpu-us/op
BenchmarkTLS/grant/h1/32/official-2 	      60	    411154 ns/op	       300 client-cpu-us/op	        40.00 conns	      3000 ops/s	        12.90 p50-ms	        50.00 p99-ms	       214.1 server-cpu-us/op
BenchmarkTLS/grant/h1/32/pam-2      	      60	    388747 ns/op	       100 client-cpu-us/op	        34.00 conns	      3300 ops/s	        11.00 p50-ms	        40.00 p99-ms	       194.4 server-cpu-us/op
BenchmarkTLS/grant/h1/8/pam-2       	      60	    388747 ns/op	       100 client-cpu-us/op	        34.00 conns	      3300 ops/s	        11.00 p50-ms	        40.00 p99-ms	       194.4 server-cpu-us/op
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
		"Over TLS with latency: medians of 2 interleaved rounds.",
		"Server offers HTTP/1.1 only",
		"| grant | 32 | 2500 | 2950 | 1.18× | 12.4 / 53.4 | 11.2 / 48.2 | 36 | 32 | 293 | 113 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Unpaired") {
		t.Errorf("a benchmark without official/pam sides is in the table:\n%s", out)
	}
	if strings.Contains(out, "| 8 |") {
		t.Errorf("a TLS benchmark with one side only is in the table:\n%s", out)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	s := []sample{{"ns/op": 4}, {"ns/op": 1}, {"ns/op": 3}, {"ns/op": 2}}
	if m, ok := median(s, "ns/op"); !ok || m != 2.5 {
		t.Errorf("median = %v, %v; want 2.5, true", m, ok)
	}
	if m, ok := median(s[:3], "ns/op"); !ok || m != 3 {
		t.Errorf("median = %v, %v; want 3, true", m, ok)
	}
	if _, ok := median(nil, "ns/op"); ok {
		t.Error("median of nothing is ok")
	}
}
