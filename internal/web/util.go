package web

import (
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// parseDay reads a 'YYYY-MM-DD' date as midnight in Asia/Shanghai, the
// calendar every date in Hallmark is counted in.
func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	return t, err == nil
}

// fieldErr is a one-field error list for the API's own checks.
func fieldErr(field, rule string, params ...any) fielderr.List {
	var l fielderr.List
	l.Add(field, rule, params...)
	return l
}

// urlPathEscape escapes a file name for a Content-Disposition filename*.
func urlPathEscape(name string) string { return url.PathEscape(name) }

// sendBlob serves the attachment hash if it is one of files.
func (s *Server) sendBlob(w http.ResponseWriter, r *http.Request, files []blob.File, hash string) {
	for _, file := range files {
		if file.Hash == hash && blob.ValidHash(hash) {
			s.serveBlob(w, r, hash, file.Mime, file.Name)
			return
		}
	}
	s.pageError(w, r, fielderr.ErrNotFound)
}

// serveStoredBlob serves a file kept by its hash alone, with the type it
// was stored with; see serveBlob for name.
func (s *Server) serveStoredBlob(w http.ResponseWriter, r *http.Request, hash, name string) {
	info, err := blob.Stat(r.Context(), s.db, hash)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.serveBlob(w, r, hash, info.Mime, name)
}

// serveBlob sends the stored file hash as mime: as a download named name,
// or shown in the page when name is "".
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, hash, mime, name string) {
	fh, err := s.blobs.Open(hash)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	defer fh.Close()
	w.Header().Set("Content-Type", mime)
	if name != "" {
		w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlPathEscape(name))
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = io.Copy(w, fh)
}
