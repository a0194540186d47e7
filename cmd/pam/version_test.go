package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersionLine(t *testing.T) {
	t.Parallel()
	platform := " " + runtime.GOOS + "/" + runtime.GOARCH
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "v1.2.3"}}, true, "pam v1.2.3 go1.24.1" + platform},
		{"pseudo-version", &debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Version: "v0.0.0-20250101000000-abcdef123456+dirty"}}, true,
			"pam v0.0.0-20250101000000-abcdef123456+dirty go1.25.0" + platform},
		{"checkout with commit", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef0123", "true")}, true,
			"pam (devel: built from a source checkout, commit 0123456789ab with uncommitted changes) go1.24.1" + platform},
		{"checkout, clean", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "(devel)"}, Settings: vcs("abc", "false")}, true,
			"pam (devel: built from a source checkout, commit abc) go1.24.1" + platform},
		{"checkout without vcs", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "(devel)"}}, true,
			"pam (devel: built from a source checkout) go1.24.1" + platform},
		{"no build info", nil, false, "pam (version unknown: built without module information) " + runtime.Version() + platform},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, versionLine(tt.bi, tt.ok))
		})
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	bi, ok := debug.ReadBuildInfo()
	want := versionLine(bi, ok) + "\n"
	for _, form := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		r := pamRun(t, nil, "", form...)
		require.Equal(t, exitOK, r.code, "%q", form)
		assert.Equal(t, want, r.stdout, "%q", form)
		assert.True(t, strings.HasPrefix(r.stdout, "pam "))
		assert.Empty(t, r.stderr)
	}
}
