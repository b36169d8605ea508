package trace

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/conformance"
)

// The quick check decides which documents are refused; the full validator
// only explains refusals. They must agree on every document, or capture
// would store what GS1's schema forbids. This holds them to each other on
// every JSON document of the conformance material, and on thousands of
// variants of its events that break one thing each.
func TestQuickCheckAgreesWithFullValidator(t *testing.T) {
	s, err := compiled()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, pat := range []string{"*.json", "*.jsonld"} {
		err := filepath.WalkDir(conformance.Dir(t), func(p string, d os.DirEntry, err error) error {
			if ok, _ := filepath.Match(pat, d.Name()); ok && err == nil {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	checks, refusals := 0, 0
	// The full validator is slow; checks run on every core.
	type check struct {
		name string
		c    *checker
		v    any
	}
	var todo []check
	agree := func(name string, c *checker, v any) { todo = append(todo, check{name, c, v}) }
	defer func() {
		var mu sync.Mutex
		var wg sync.WaitGroup
		next := make(chan check)
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for k := range next {
					full := k.c.full.Validate(k.v) == nil
					quick := k.c.quick.Valid(k.v)
					mu.Lock()
					checks++
					if !full {
						refusals++
					}
					if quick != full {
						b, _ := json.Marshal(k.v)
						t.Errorf("%s: quick check says valid=%v, full validator valid=%v, for %.400s", k.name, quick, full, b)
					}
					mu.Unlock()
				}
			})
		}
		for _, k := range todo {
			next <- k
		}
		close(next)
		wg.Wait()
		if checks < 50000 || refusals < 10000 {
			t.Fatalf("only %d checks and %d refusals: the material is missing", checks, refusals)
		}
		t.Logf("%d checks over %d files, %d of them refusals", checks, len(files), refusals)
	}()
	events := 0
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := Decode(b)
		if err != nil {
			continue // not an EPCIS document (or deliberately broken JSON)
		}
		name := strings.TrimPrefix(f, conformance.Dir(t))
		agree(name, s.root, doc)
		evs, _, bad := eventsOf(doc)
		if bad != nil {
			continue
		}
		agree(name+" envelope", s.root, withEvents(doc, []any{}))
		for i, ev := range evs {
			m, ok := ev.(map[string]any)
			if !ok {
				continue
			}
			// Several documents repeat the same event; check each once.
			key, _ := json.Marshal(m)
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
			events++
			at := fmt.Sprintf("%s event %d", name, i)
			agree(at, s.event, m)
			agree(at+" by type", s.forEvent(m), m)
			agree(at+" alone", s.root, m)
			for j, mut := range mutations(m) {
				// The type-specific definitions are what capture checks
				// documents' events against; the general one what it checks
				// unknown types against, and the root single events. Every
				// variant meets the first, every fourth each of the others.
				agree(at+" "+mut.what+" by type", s.forEvent(mut.v), mut.v)
				switch j % 4 {
				case 0:
					agree(at+" "+mut.what, s.event, mut.v)
				case 2:
					agree(at+" "+mut.what+" alone", s.root, mut.v)
				}
			}
		}
	}
	if events < 300 {
		t.Fatalf("only %d distinct events: the material is missing", events)
	}
}

type mutation struct {
	what string
	v    map[string]any
}

// badValues are what a careless sender puts where something else belongs.
var badValues = []any{nil, true, json.Number("42"), json.Number("-1.5"), "", "x", "transforming", "urn:epc:id:sgtin:bad",
	"https://", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00+08:00", "urn:epcglobal:cbv:bizstep:shipping",
	"https://ref.gs1.org/cbv/BizStep-shipping", []any{}, []any{"x"}, []any{nil}, map[string]any{}, map[string]any{"x": 1}}

// mutations returns copies of event m that each change one thing: a key
// removed, a value replaced (at the top level and one level down), an
// unknown key added.
func mutations(m map[string]any) []mutation {
	var out []mutation
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// One level down, each place gets a third of the bad values, taken in
	// turn, so that together the places still meet every one of them.
	turn := 0
	some := func(f func(i int, bad any)) {
		for i, bad := range badValues {
			if (i+turn)%3 == 0 {
				f(i, bad)
			}
		}
		turn++
	}
	with := func(what string, k string, v any, drop bool) {
		c := clone(m).(map[string]any)
		if drop {
			delete(c, k)
		} else {
			c[k] = v
		}
		out = append(out, mutation{what, c})
	}
	for _, k := range keys {
		with("without "+k, k, nil, true)
		for i, bad := range badValues {
			with(fmt.Sprintf("%s=bad%d", k, i), k, bad, false)
		}
		// One level down: each field of an object, the first element of a list.
		switch x := m[k].(type) {
		case map[string]any:
			for sub := range x {
				some(func(i int, bad any) {
					c := clone(x).(map[string]any)
					c[sub] = bad
					with(fmt.Sprintf("%s.%s=bad%d", k, sub, i), k, c, false)
				})
			}
		case []any:
			if len(x) == 0 {
				break
			}
			some(func(i int, bad any) {
				c := clone(x).([]any)
				c[0] = bad
				with(fmt.Sprintf("%s[0]=bad%d", k, i), k, c, false)
			})
			if first, ok := x[0].(map[string]any); ok {
				for sub := range first {
					some(func(i int, bad any) {
						c := clone(x).([]any)
						e := clone(first).(map[string]any)
						e[sub] = bad
						c[0] = e
						with(fmt.Sprintf("%s[0].%s=bad%d", k, sub, i), k, c, false)
					})
				}
			}
			c := clone(x).([]any)
			with(k+" doubled", k, append(c, c[0]), false)
		}
	}
	for _, k := range []string{"type", "ex:extra", "extra", "@context"} {
		for i, bad := range badValues[:6] {
			with(fmt.Sprintf("+%s=bad%d", k, i), k, bad, false)
		}
	}
	return out
}

func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = clone(e)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = clone(e)
		}
		return c
	}
	return v
}
