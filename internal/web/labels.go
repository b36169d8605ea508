package web

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/qrlabel"
)

// Printable QR labels of a lot. A label carries the lot's Digital Link on
// this platform's address, so a phone that scans it opens the public trace
// page, and the GS1 human-readable lines under the code.

// Label sheet bounds: 24 labels fill one A4 sheet of 3 × 8.
const (
	labelsPerSheet = 24
	maxLabels      = 240
	defaultScale   = 8
	maxScale       = 20
)

func (s *Server) lotLabels(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.EscapedPath(), "/labels")
	ext := ""
	for _, e := range []string{".png", ".svg"} {
		if strings.HasSuffix(p, e) {
			ext, p = e, strings.TrimSuffix(p, e)
		}
	}
	d, err := codes.ParseDigitalLink("https://resolver.invalid" + p)
	if err != nil {
		s.badDigitalLink(w, r, err)
		return
	}
	t := targetOf(d)
	label := qrlabel.Label{Link: s.baseURL(r) + t.path(), Lines: hriLines(t)}
	switch ext {
	case ".png":
		scale := boundedInt(r.URL.Query().Get("scale"), defaultScale, 1, maxScale)
		var buf bytes.Buffer
		if err := label.PNG(&buf, scale); err != nil {
			s.pageError(w, r, err)
			return
		}
		sendLabel(w, "image/png", labelFile(t, ext), buf.Bytes())
	case ".svg":
		var buf bytes.Buffer
		if err := label.SVG(&buf); err != nil {
			s.pageError(w, r, err)
			return
		}
		sendLabel(w, "image/svg+xml", labelFile(t, ext), buf.Bytes())
	default:
		s.labelSheet(w, r, t, label)
	}
}

// labelSheet is an A4 page of identical labels for one lot.
func (s *Server) labelSheet(w http.ResponseWriter, r *http.Request, t dlTarget, l qrlabel.Label) {
	n := boundedInt(r.URL.Query().Get("n"), labelsPerSheet, 1, maxLabels)
	reg := newRegistryNames(s.db)
	name := ""
	if p, err := reg.product(r.Context(), t.GTIN); err != nil {
		s.pageError(w, r, err)
		return
	} else if p != nil {
		name = p.name
	}
	img := "/labels" + t.path()
	v := s.newView(r, "labels.title", map[string]any{
		"Target": t, "Link": l.Link, "Lines": l.Lines, "Product": name, "N": n,
		"SVG": img + ".svg", "PNG": img + ".png", "Page": t.path(), "Slots": make([]struct{}, n),
		"Counts": []int{labelsPerSheet, 2 * labelsPerSheet, 4 * labelsPerSheet},
	})
	s.render(w, r, http.StatusOK, "labels", v)
}

// labelSheetHref is the sheet's address for a target. A lot whose own text
// ends in .png or .svg has that dot escaped, so the sheet is not taken for
// an image.
func labelSheetHref(t dlTarget) string {
	h := "/labels" + t.path()
	if strings.HasSuffix(h, ".png") || strings.HasSuffix(h, ".svg") {
		h = h[:len(h)-4] + "%2E" + h[len(h)-3:]
	}
	return h
}

// hriLines are the GS1 human-readable interpretation: each AI in
// parentheses followed by its value.
func hriLines(t dlTarget) []string {
	lines := []string{"(01) " + t.GTIN}
	if t.Lot != "" {
		lines = append(lines, "(10) "+t.Lot)
	}
	if t.Serial != "" {
		lines = append(lines, "(21) "+t.Serial)
	}
	return lines
}

// labelFile names a downloaded label after its GTIN and lot, keeping only
// characters every file system accepts.
func labelFile(t dlTarget, ext string) string {
	var b strings.Builder
	for _, c := range t.GTIN + "-" + t.Lot {
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return "label-" + b.String() + ext
}

func sendLabel(w http.ResponseWriter, contentType, file string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": file}))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "private, max-age=300")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// boundedInt reads a whole number parameter, def when absent or not a
// number, clamped to [lo, hi].
func boundedInt(s string, def, lo, hi int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return min(max(n, lo), hi)
}
