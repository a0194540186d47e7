package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func runVersion(_ context.Context, pos []string, e *env) int {
	if len(pos) != 0 {
		return usageError(e, "version", "unexpected argument %s", quote(pos[0]))
	}
	bi, ok := debug.ReadBuildInfo()
	fmt.Fprintln(e.stdout, versionLine(bi, ok))
	return exitOK
}

// versionLine describes the build: the module version when pam was
// installed from a release ("pam v1.2.0"), or the commit of the checkout it
// was built from, and the Go toolchain and platform.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if !ok || bi == nil {
		return fmt.Sprintf("pam (version unknown: built without module information) %s %s", runtime.Version(), platform)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "(devel: built from a source checkout"
		if rev := settings["vcs.revision"]; rev != "" {
			v += ", commit " + rev[:min(len(rev), 12)]
			if settings["vcs.modified"] == "true" {
				v += " with uncommitted changes"
			}
		}
		v += ")"
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	return fmt.Sprintf("pam %s %s %s", v, goVersion, platform)
}
