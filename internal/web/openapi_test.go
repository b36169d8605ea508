package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes holds the published API description to the
// routes the server registers, both ways.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	resp := s.do("", "GET", "/api/openapi.json", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, r := range s.srv.Routes() {
		if !strings.HasPrefix(r.Pattern, "/api/v1/") {
			continue
		}
		key := r.Method + " " + r.Pattern
		registered[key] = true
		if !documented[key] {
			t.Errorf("%s is served but not documented in openapi.json", key)
		}
	}
	for key := range documented {
		if !registered[key] {
			t.Errorf("%s is documented but not served", key)
		}
	}
}
