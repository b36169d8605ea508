package locales

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// keyLiteral matches the message keys code hands to the catalogs: rule
// keys for field errors, notification kinds, errors, and every literal key a
// template translates with .T.
var (
	goKey       = regexp.MustCompile(`"((?:rule|error|notify|light|cause)\.[a-z0-9_.]+[a-z0-9_])"`)
	templateKey = regexp.MustCompile(`\.T "([a-zA-Z0-9_.-]+)"`)
)

// TestEveryUsedKeyIsInTheCatalogs scans the source for message keys and
// fails on any the catalogs lack, so a new rule or page cannot ship with a
// raw key on screen.
func TestEveryUsedKeyIsInTheCatalogs(t *testing.T) {
	t.Parallel()
	root := ".."
	missing := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "node_modules" || name == "vendor" || name == "testdata" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		isGo := strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go")
		isTemplate := strings.HasSuffix(path, ".html")
		if !isGo && !isTemplate {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		re := goKey
		if isTemplate {
			re = templateKey
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			key := m[1]
			if strings.HasSuffix(key, ".") || strings.Count(key, ".") == 0 {
				continue
			}
			if !Has(key) {
				missing[key] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, path := range missing {
		t.Errorf("%s uses %q, which locales/zh-CN.json lacks", path, key)
	}
}
