package web

import (
	_ "embed"
	"net/http"
)

// openapiDoc describes the JSON API; a test holds it to the registered
// routes, so an endpoint cannot ship undocumented.
//
//go:embed openapi.json
var openapiDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiDoc)
}
