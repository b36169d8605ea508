package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// assets serves the embedded static files under names that carry a hash of
// their content, so they can be cached for a year and still change the moment
// a new build ships.
type assets struct {
	hashed map[string]string // "css/app.css" → "css/app.1a2b3c4d.css"
	files  map[string]string // "css/app.1a2b3c4d.css" → "static/css/app.css"
}

func loadAssets() (*assets, error) {
	a := &assets{hashed: map[string]string{}, files: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel := strings.TrimPrefix(p, "static/")
		ext := path.Ext(rel)
		name := strings.TrimSuffix(rel, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		a.hashed[rel] = name
		a.files[name] = p
		return nil
	})
	return a, err
}

// path returns the URL of an embedded asset.
func (a *assets) path(rel string) string {
	if h, ok := a.hashed[rel]; ok {
		return "/static/" + h
	}
	panic("web: no asset " + rel)
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("path")
	file, ok := s.assets.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := staticFS.ReadFile(file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(b)
}
