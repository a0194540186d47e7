package authz

import "testing"

// BenchmarkAllows compares a decision by exact entry with one by pattern on
// the same token, its Set built.
func BenchmarkAllows(b *testing.B) {
	c := new(TokenCache)
	res := map[string]uint32{"room-1": 3}
	m := &maps{{`^room-[0-9]+$`: 3}}
	for _, bc := range []struct{ name, channel string }{{"exact", "room-1"}, {"pattern", "room-42"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !Decide(c, m, 0, res, bc.channel, 2) {
					b.Fatal("denied")
				}
			}
		})
	}
}

// BenchmarkForged: judging a forged token's 1,200 patterns the first time
// (a new TokenCache each iteration) and later.
func BenchmarkForged(b *testing.B) {
	for _, format := range []string{"%d.{0,1000}~", "%04d.{0,400}~"} {
		m := forged(format, 1200)
		b.Run("first/"+format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if Decide(new(TokenCache), m, 0, nil, "1~", 1) {
					b.Fatal("allowed")
				}
			}
		})
		c := new(TokenCache)
		Current(c, m)
		b.Run("later/"+format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if Decide(c, m, 0, nil, "1~", 1) {
					b.Fatal("allowed")
				}
			}
		})
	}
}
