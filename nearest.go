package pam

import (
	"slices"
	"strings"

	"github.com/pamkit/pam/internal/authz"
)

// maxCandidates is how many near names and patterns a denial suggests.
const maxCandidates = 3

// nearest returns up to maxCandidates names and patterns close to name,
// nearest first: exact names by edit distance, patterns by the distance between
// their literal prefix and the start of name (an unanchored pattern whose
// literal occurs in name counts as near). Candidates further than half the
// name's length (at least 2) are left out.
func nearest(name string, res map[string]Permission, pats []authz.Entry) []string {
	type cand struct {
		s string
		d int
	}
	limit := max(2, len(name)/2)
	var cands []cand
	for k := range res {
		if d := editDistanceWithin(name, k, limit); d <= limit {
			cands = append(cands, cand{k, d})
		}
	}
	for i := range pats {
		k := pats[i].Source()
		if _, dup := res[k]; dup {
			continue
		}
		if d := patternDistance(name, &pats[i], limit); d <= limit {
			cands = append(cands, cand{k, d})
		}
	}
	slices.SortFunc(cands, func(x, y cand) int {
		if x.d != y.d {
			return x.d - y.d
		}
		return strings.Compare(x.s, y.s)
	})
	out := make([]string, 0, min(maxCandidates, len(cands)))
	for i := 0; i < len(cands) && i < maxCandidates; i++ {
		out = append(out, cands[i].s)
	}
	return out
}

// patternDistance says how near a pattern that did not match name came;
// more than limit if not within it.
func patternDistance(name string, e *authz.Entry, limit int) int {
	pat, prefix := e.Source(), e.Prefix()
	if len(prefix) < 3 { // too short to say much
		return editDistanceWithin(name, strings.TrimSuffix(strings.TrimPrefix(pat, "^"), "$"), limit)
	}
	if !strings.HasPrefix(pat, "^") && strings.Contains(name, prefix) {
		return 1
	}
	return 1 + editDistance(name[:min(len(name), len(prefix))], prefix)
}

// editDistanceLimit is how much of each string editDistance looks at,
// which bounds its cost on hostile tokens.
const editDistanceLimit = 64

// editDistanceWithin is editDistance, or more than limit when the lengths
// alone show it is more.
func editDistanceWithin(a, b string, limit int) int {
	la, lb := min(len(a), editDistanceLimit), min(len(b), editDistanceLimit)
	if la-lb > limit || lb-la > limit {
		return limit + 1
	}
	return editDistance(a, b)
}

// editDistance is the Levenshtein distance between the first 64 bytes of a
// and b.
func editDistance(a, b string) int {
	const limit = editDistanceLimit
	a, b = a[:min(len(a), limit)], b[:min(len(b), limit)]
	var rowBuf [limit + 1]int
	row := rowBuf[:len(b)+1]
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)]
}
