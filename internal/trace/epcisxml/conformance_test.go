package epcisxml

import (
	"os"
	"testing"
)

func decodeFile(t *testing.T, path string) (map[string]any, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Decode(f)
}
