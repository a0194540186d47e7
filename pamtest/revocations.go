package pamtest

// revocations is the set of revoked tokens, keyed by signature. Every call
// costs O(1) (amortised) whatever the set's size: a revocation is filed
// under the minute its token expires, and each call drops the minutes that
// have passed since the last, so expired revocations (whose tokens are
// refused as expired before the set is consulted) do not accumulate. It is
// not safe for concurrent use; the handler's mutex guards it.
type revocations struct {
	set     map[[32]byte]int64   // signature → the token's expiry, Unix seconds
	byMin   map[int64][][32]byte // expiry minute → the signatures filed under it
	swept   int64                // every minute before this one has been dropped
	visited int                  // entries looked at by sweep, for tests
}

func newRevocations() *revocations {
	return &revocations{set: make(map[[32]byte]int64), byMin: make(map[int64][][32]byte)}
}

// minuteOf is the minute holding Unix second s (floor division).
func minuteOf(s int64) int64 {
	if s < 0 {
		return (s - 59) / 60
	}
	return s / 60
}

// add records the revocation of the token with signature key, which
// expires at exp; now is the emulator's clock in Unix seconds. It reports
// false if the token was already revoked.
func (r *revocations) add(key [32]byte, exp, now int64) bool {
	r.sweep(now)
	if _, ok := r.set[key]; ok {
		return false
	}
	r.set[key] = exp
	m := minuteOf(exp)
	r.byMin[m] = append(r.byMin[m], key)
	return true
}

// has reports whether the token with signature key was revoked.
func (r *revocations) has(key [32]byte, now int64) bool {
	r.sweep(now)
	_, ok := r.set[key]
	return ok
}

// len is the number of revocations kept.
func (r *revocations) len() int { return len(r.set) }

// sweep drops every revocation whose token expired in a minute before
// now's: those tokens are refused as expired anyway. It walks the minutes
// since the last sweep, or the filed minutes when there are fewer of them,
// so its cost is bounded by the time passed and by the entries dropped.
func (r *revocations) sweep(now int64) {
	end := minuteOf(now)
	if end <= r.swept {
		return
	}
	if end-r.swept > int64(len(r.byMin)) {
		for m, keys := range r.byMin {
			if m < end {
				r.drop(m, keys)
			}
		}
	} else {
		for m := r.swept; m < end; m++ {
			if keys, ok := r.byMin[m]; ok {
				r.drop(m, keys)
			}
		}
	}
	r.swept = end
}

// drop forgets the revocations filed under minute m.
func (r *revocations) drop(m int64, keys [][32]byte) {
	for _, k := range keys {
		delete(r.set, k)
	}
	r.visited += len(keys)
	delete(r.byMin, m)
}
