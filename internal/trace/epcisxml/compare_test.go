package epcisxml

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"regexp"
	"sort"
	"testing"
	"time"
)

// readJSON decodes a JSON-LD file the way the store does.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// events returns a document's event list, capture or query form.
func events(doc map[string]any) []any {
	body, _ := doc["epcisBody"].(map[string]any)
	if l, ok := body["eventList"].([]any); ok {
		return l
	}
	qr, _ := body["queryResults"].(map[string]any)
	rb, _ := qr["resultsBody"].(map[string]any)
	l, _ := rb["eventList"].([]any)
	return l
}

// The same CBV or GS1 code may be written as a bare word, a CURIE or a Web
// URI; JSON examples use all three. The comparison reduces each to its word,
// independently of the decoder's own tables.
var (
	cbvTerm = regexp.MustCompile(`^(?:cbv:|https://ref\.gs1\.org/cbv/)(?:BizStep|Disp|BTT|SDT|ER|Comp)-(.+)$`)
	gs1Term = regexp.MustCompile(`^(?:gs1:|https://gs1\.org/voc/)(?:MT-)?([A-Za-z_]+)$`)
)

func canonWord(s string) string {
	if m := cbvTerm.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	if m := gs1Term.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

// semanticDiff lists where a and b differ, ignoring key order, comparing
// numbers by value, timestamps by instant and vocabulary codes by word.
func semanticDiff(path string, a, b any) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: object vs %T", path, b)}
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []string
		for _, k := range sorted {
			xv, inX := x[k]
			yv, inY := y[k]
			switch {
			case !inY:
				out = append(out, fmt.Sprintf("%s/%s: only in XML", path, k))
			case !inX:
				out = append(out, fmt.Sprintf("%s/%s: only in JSON", path, k))
			default:
				out = append(out, semanticDiff(path+"/"+k, xv, yv)...)
			}
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: array vs %T", path, b)}
		}
		if len(x) != len(y) {
			return []string{fmt.Sprintf("%s: %d items vs %d", path, len(x), len(y))}
		}
		var out []string
		for i := range x {
			out = append(out, semanticDiff(fmt.Sprintf("%s/%d", path, i), x[i], y[i])...)
		}
		return out
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return []string{fmt.Sprintf("%s: number %s vs %T %v", path, x, b, b)}
		}
		rx, okx := new(big.Rat).SetString(string(x))
		ry, oky := new(big.Rat).SetString(string(y))
		if !okx || !oky || rx.Cmp(ry) != 0 {
			return []string{fmt.Sprintf("%s: %s vs %s", path, x, y)}
		}
		return nil
	case string:
		y, ok := b.(string)
		if !ok {
			return []string{fmt.Sprintf("%s: string %q vs %T %v", path, x, b, b)}
		}
		if x == y || canonWord(x) == canonWord(y) {
			return nil
		}
		tx, ex := time.Parse(time.RFC3339Nano, x)
		ty, ey := time.Parse(time.RFC3339Nano, y)
		if ex == nil && ey == nil && tx.Equal(ty) {
			return nil
		}
		return []string{fmt.Sprintf("%s: %q vs %q", path, x, y)}
	default:
		if a != b {
			return []string{fmt.Sprintf("%s: %v vs %v", path, a, b)}
		}
		return nil
	}
}

// undouble removes the extra level GS1's full-combination JSON examples put
// into nested extension objects: the XML <ext2:object><ext3:string>…
// appears there as "ext2:object": {"ext2:object": {"ext3:string": …}}.
func undouble(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if inner, ok := x.(map[string]any); ok && len(inner) == 1 {
				if again, ok := inner[k].(map[string]any); ok {
					x = again
				}
			}
			t[k] = undouble(x)
		}
	case []any:
		for i, x := range t {
			t[i] = undouble(x)
		}
	}
	return v
}
