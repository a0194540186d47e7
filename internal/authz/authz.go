// Package authz is the authorization engine pam and pamtest share: whether a
// token's grants allow a name, with its RegExp patterns matched against the
// whole name, compiled once, and bounded in cost so that a forged token
// cannot make a check expensive.
//
// A pattern matches a name when the RE2 expression (Go syntax, Perl flags)
// matches all of it. The anchoring is built on the parsed pattern, so that
// \Q, flags and alternations inside it cannot escape it.
//
// Cost is counted in units of roughly a microsecond of work: one per byte of
// pattern text, more for what makes the parser slow (Unicode classes, ranges
// folded by (?i)), and one per instruction of the compiled program, which is
// measured with regexp/syntax (syntax.Compile, len(prog.Inst)) before
// anything is compiled with regexp; a pattern whose program an upper bound
// from its syntax tree (the one regexp/syntax uses for its own size check)
// puts over twice the limit is not even measured. A pattern over
// [MaxPatternLen] bytes, over [MaxPatternLen] units of parse cost or over
// [MaxPatternProg] instructions is [TooComplex]; a token whose patterns
// together cost more than [MaxTokenCost] has every pattern treated as too
// complex, and the work of finding that out stops at the budget. Too
// complex patterns are never matched.
//
// Patterns of the commonest shape, "^literal[class]{n,m}literal$", are
// matched without regexp.
package authz

// Limits on the patterns of one token.
const (
	// MaxPatternLen is the longest pattern, in bytes, and the most parse
	// cost one pattern may have.
	MaxPatternLen = 1024
	// MaxPatternProg is the most instructions a pattern's program may have.
	// A name class repeated up to the 92 characters a channel name may have
	// ("^[a-zA-Z0-9_-]{1,92}$") needs 189.
	MaxPatternProg = 1000
	// MaxTokenCost bounds the parse cost plus the program size of all the
	// patterns of one token.
	MaxTokenCost = 10000
)

// Status says whether a pattern can be matched locally.
type Status uint8

const (
	// OK is a pattern that parses and is within the limits.
	OK Status = iota
	// Invalid is a pattern that is not valid RE2 syntax.
	Invalid
	// TooComplex is a pattern over a limit, or one of a token whose
	// patterns are over MaxTokenCost together.
	TooComplex
)
