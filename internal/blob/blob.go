// Package blob keeps uploaded files (progress evidence, attachments, report
// PDFs) in a content-addressed folder beside the database: a file is named
// by the SHA-256 of its bytes, so the same evidence uploaded twice is stored
// once, and a stored file can never change under a hash that refers to it.
// SQL holds only the hash, size and type (table blobs).
//
// Only a short list of types is accepted, judged from the bytes themselves
// (http.DetectContentType, and for zip files the parts inside): PDF, JPEG,
// PNG, WebP, .xlsx and .docx, and UTF-8 plain text. A file with a harmless
// name but executable or HTML content is refused.
//
// A file is written to a temporary name and renamed into place, so a reader
// never sees half a file. The row is written in the caller's transaction; if
// that transaction rolls back, the file stays on disk unreferenced, which is
// harmless (a later upload of the same bytes finds it in place).
package blob

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// DefaultMaxSize is the largest file Put accepts unless Store.MaxSize says
// otherwise.
const DefaultMaxSize = 20 << 20

// Types accepted, as stored in blobs.mime.
const (
	PDF  = "application/pdf"
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
	XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	Text = "text/plain; charset=utf-8"
)

// Allowed lists the accepted types, for the page that says what may be
// uploaded.
var Allowed = []string{PDF, JPEG, PNG, WebP, XLSX, DOCX, Text}

// File is a stored file. Name is the uploader's file name: it belongs to the
// reference (a report's attachment), not to the content, and is not stored
// in blobs.
type File struct {
	Hash string `json:"hash"`
	Name string `json:"name,omitempty"`
	Size int64  `json:"size"`
	Mime string `json:"mime"`
}

// Store is a blob folder.
type Store struct {
	dir string
	// MaxSize is the largest file Put accepts, in bytes (DefaultMaxSize
	// when zero or less).
	MaxSize int64
}

// Open returns the store in dir, creating the folder when it does not exist.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("blob: no folder given")
	}
	for _, d := range []string{dir, filepath.Join(dir, "sha256"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("blob folder: %w", err)
		}
	}
	return &Store{dir: dir}, nil
}

// DirFor is the default blob folder for a database: "blobs" beside a SQLite
// file, "blobs" in the working directory for PostgreSQL.
func DirFor(dsn string) string {
	if store.IsPostgres(dsn) {
		return "blobs"
	}
	return filepath.Join(filepath.Dir(dsn), "blobs")
}

// Dir is the store's folder.
func (s *Store) Dir() string { return s.dir }

func (s *Store) maxSize() int64 {
	if s.MaxSize > 0 {
		return s.MaxSize
	}
	return DefaultMaxSize
}

// ValidHash reports whether h is a SHA-256 in lower-case hex, the only form
// a path is ever built from.
func ValidHash(h string) bool {
	if len(h) != sha256.Size*2 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Store) path(h string) string {
	return filepath.Join(s.dir, "sha256", h[:2], h)
}

// head keeps the first bytes written through it, for sniffing the type.
type head struct {
	buf []byte
	n   int
}

func (h *head) Write(p []byte) (int, error) {
	if room := cap(h.buf) - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(room, len(p))]...)
	}
	h.n += len(p)
	return len(p), nil
}

// Put stores the content of r under its hash and records it in blobs inside
// tx. name is the uploader's file name (returned in File.Name); declaredMime
// is what the client claimed and is advisory only: the stored type is the
// one the content shows. A file that is empty, larger than the limit or of a
// type not in Allowed is refused with a fielderr on "file", and nothing is
// kept.
func (s *Store) Put(ctx context.Context, tx *store.Tx, r io.Reader, name, declaredMime string) (File, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "up-*")
	if err != nil {
		return File{}, fmt.Errorf("blob: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	sum := sha256.New()
	first := &head{buf: make([]byte, 0, 512)}
	limit := s.maxSize()
	n, err := io.Copy(io.MultiWriter(tmp, sum, first), io.LimitReader(r, limit+1))
	if err != nil {
		return File{}, fmt.Errorf("blob: read upload: %w", err)
	}
	switch {
	case n > limit:
		return File{}, fielderr.New("file", "rule.file.too_large", "max_mib", limit>>20)
	case n == 0:
		return File{}, fielderr.New("file", "rule.file.empty")
	}
	mime, err := sniff(first.buf, tmp, n)
	if err != nil {
		return File{}, err
	}
	if err := tmp.Sync(); err != nil {
		return File{}, fmt.Errorf("blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return File{}, fmt.Errorf("blob: %w", err)
	}
	f := File{Hash: hex.EncodeToString(sum.Sum(nil)), Name: cleanName(name), Size: n, Mime: mime}
	final := s.path(f.Hash)
	if _, err := os.Stat(final); err != nil {
		if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
			return File{}, fmt.Errorf("blob: %w", err)
		}
		if err := os.Rename(tmp.Name(), final); err != nil {
			return File{}, fmt.Errorf("blob: %w", err)
		}
		keep = true
	}
	if _, err := tx.Exec(ctx, `INSERT INTO blobs (hash, size, mime, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (hash) DO NOTHING`, f.Hash, f.Size, f.Mime, store.Now()); err != nil {
		return File{}, fmt.Errorf("blob: record %s: %w", f.Hash, err)
	}
	return f, nil
}

// sniff names the type of the file from its first bytes, looking inside
// zip files for the part that makes them a workbook or a document.
func sniff(first []byte, f *os.File, size int64) (string, error) {
	switch t := http.DetectContentType(first); t {
	case PDF, JPEG, PNG, WebP:
		return t, nil
	case Text:
		// Markup the sniffer does not know (SVG, XHTML fragments) passes
		// as text; a browser told otherwise could run its scripts.
		if bytes.HasPrefix(bytes.TrimLeft(first, " \t\r\n\ufeff"), []byte("<")) {
			return "", fielderr.New("file", "rule.file.type")
		}
		return t, nil
	case "application/zip":
		z, err := zip.NewReader(f, size)
		if err != nil {
			return "", fielderr.New("file", "rule.file.type")
		}
		parts := map[string]bool{}
		for _, p := range z.File {
			parts[p.Name] = true
		}
		if parts["[Content_Types].xml"] {
			switch {
			case parts["xl/workbook.xml"]:
				return XLSX, nil
			case parts["word/document.xml"]:
				return DOCX, nil
			}
		}
	}
	return "", fielderr.New("file", "rule.file.type")
}

// cleanName keeps the base name of an upload, without any folder a browser
// may send along.
func cleanName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}

// Open opens the stored file with hash h for reading; fielderr.ErrNotFound
// when there is none.
func (s *Store) Open(h string) (*os.File, error) {
	if !ValidHash(h) {
		return nil, fielderr.ErrNotFound
	}
	f, err := os.Open(s.path(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fielderr.ErrNotFound
	}
	return f, err
}

// Stat returns the recorded size and type of the file with hash h;
// fielderr.ErrNotFound when blobs has no such row.
func Stat(ctx context.Context, q store.Queryer, h string) (File, error) {
	f := File{Hash: h}
	if !ValidHash(h) {
		return f, fielderr.ErrNotFound
	}
	err := q.QueryRow(ctx, `SELECT size, mime FROM blobs WHERE hash = ?`, h).Scan(&f.Size, &f.Mime)
	if errors.Is(err, sql.ErrNoRows) {
		return f, fielderr.ErrNotFound
	}
	return f, err
}
