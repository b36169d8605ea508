package epcisxml

import (
	"os"
	"path/filepath"
	"testing"
)

// conformanceDir finds shared/conformance beside the checkout by walking up
// from the package directory. The material is part of the test: missing it
// is a failure, not a skip.
func conformanceDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "..", "shared", "conformance")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return filepath.Clean(cand)
		}
		if filepath.Dir(d) == d {
			t.Fatalf("shared/conformance not found above %s", dir)
		}
	}
}

func decodeFile(t *testing.T, path string) (map[string]any, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Decode(f)
}
