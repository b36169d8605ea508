// Package conformance finds the public test material (GS1 EPCIS schema and
// examples, invalid documents, event-hash vectors, trace-back datasets, the
// GS1 AI table) that the project's conformance tests read. A copy, with each
// source's licence and manifest, lives in testdata/conformance at the root of
// the repository.
package conformance

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the conformance folder, failing the test when it cannot be
// found: the tests it feeds must never pass by not running.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		for _, c := range []string{filepath.Join(dir, "testdata", "conformance")} {
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("testdata/conformance not found above the working directory")
		}
		dir = parent
	}
}

// Files lists the files under the conformance folder matching each glob
// (relative to it, ** not supported: list each level), failing on none.
func Files(tb testing.TB, globs ...string) []string {
	tb.Helper()
	root := Dir(tb)
	var out []string
	for _, g := range globs {
		m, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) == 0 {
		tb.Fatalf("no conformance files match %v", globs)
	}
	return out
}
