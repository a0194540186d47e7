package authz

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSimpleShape(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]bool{
		`^room-[0-9]+$`: true, `^admin$`: true, `^chat\..*$`: true, `^$`: true, `^[a-z]{2,5}-x$`: true,
		`\Aa\z`: true, `^(?s:.)*$`: true, `^.?$`: true,
		`room-[0-9]+`: false, `^room-[0-9]+`: false, `^(?i)room$`: false, `^a[0-9]b[0-9]$`: false,
		`^a|b$`: false, `(?m)^a$`: false, `^(?:ab)+$`: false, `^\x{FFFD}$`: false,
	} {
		p := newPattern(src)
		p.analyze()
		require.Equal(t, OK, p.status, src)
		assert.Equal(t, want, p.fast != nil, src)
	}
}

// TestSimpleAgreesWithDefinition: on random patterns of the simple shape
// and random names (with newlines, multi-byte runes and bytes that are not
// UTF-8), the simple matcher agrees with the definition.
func TestSimpleAgreesWithDefinition(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	lits := []string{"", "a", "ab", "é", "room-"}
	atoms := []string{"", "[a-c]", "[^a]", ".", "(?s:.)", `\d`, `[é-ü]`, `\pL`}
	quants := []string{"", "*", "+", "?", "{2}", "{1,3}", "{2,}"}
	runes := []string{"a", "b", "c", "é", "ü", "1", "\n", "\xff", "-", "o", "r", "m"}
	fast := 0
	for range 3000 {
		atom := atoms[r.IntN(len(atoms))]
		quant := ""
		if atom != "" {
			quant = quants[r.IntN(len(quants))]
		}
		src := "^" + lits[r.IntN(len(lits))] + atom + quant + lits[r.IntN(len(lits))] + "$"
		name := ""
		for range r.IntN(7) {
			name += runes[r.IntN(len(runes))]
		}
		if r.IntN(2) == 0 { // often start like the pattern
			name = lits[r.IntN(len(lits))] + name
		}
		p := newPattern(src)
		p.analyze()
		require.Equal(t, OK, p.status, src)
		if p.fast == nil {
			continue
		}
		fast++
		want, _ := reference(src, name)
		require.Equal(t, want, p.fast.match(name), "pattern %q, name %q", src, name)
	}
	assert.Greater(t, fast, 2000)
}
