package compare

import (
	"os"
	"testing"
)

// TestMain runs the tests, or, in a subprocess started by BenchmarkTLS, the
// load it describes (see runChild).
func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		os.Exit(runChild(cfg))
	}
	os.Exit(m.Run())
}
