package blob_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func put(t *testing.T, db *store.DB, s *blob.Store, content []byte, name string) (blob.File, error) {
	t.Helper()
	var f blob.File
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		f, err = s.Put(context.Background(), tx, bytes.NewReader(content), name, "application/octet-stream")
		return err
	})
	return f, err
}

func wantRule(t *testing.T, err error, rule string) {
	t.Helper()
	l, ok := fielderr.As(err)
	if !ok || len(l) != 1 || l[0].Field != "file" || l[0].Rule != rule {
		t.Fatalf("error = %v, want %s on file", err, rule)
	}
}

func pngBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func xlsxBytes(t *testing.T) []byte {
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetCellValue("Sheet1", "A1", "进展")
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipBytes(t *testing.T, parts ...string) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := z.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "<x/>")
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tmpLeft counts files left in the store's temporary folder.
func tmpLeft(t *testing.T, s *blob.Store) int {
	es, err := os.ReadDir(filepath.Join(s.Dir(), "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func rows(t *testing.T, db *store.DB) int {
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM blobs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAcceptedTypesAreStoredByHash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, err := blob.Open(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name    string
			content []byte
			mime    string
		}{
			{"整改报告.pdf", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"), blob.PDF},
			{"现场.png", pngBytes(t), blob.PNG},
			{"photo.jpg", append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, make([]byte, 64)...), blob.JPEG},
			{"photo.webp", append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 32)...), blob.WebP},
			{"台账.xlsx", xlsxBytes(t), blob.XLSX},
			{"说明.docx", zipBytes(t, "[Content_Types].xml", "word/document.xml"), blob.DOCX},
			{"说明.txt", []byte("已完成培训 3 场，覆盖企业 120 家。\n"), blob.Text},
		}
		for _, c := range cases {
			f, err := put(t, db, s, c.content, `C:\Users\科员\`+c.name)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			sum := sha256.Sum256(c.content)
			if f.Hash != hex.EncodeToString(sum[:]) || f.Size != int64(len(c.content)) || f.Mime != c.mime || f.Name != c.name {
				t.Errorf("%s stored as %+v", c.name, f)
			}
			r, err := s.Open(f.Hash)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r)
			r.Close()
			if !bytes.Equal(got, c.content) {
				t.Errorf("%s reads back different bytes", c.name)
			}
			if _, err := os.Stat(filepath.Join(s.Dir(), "sha256", f.Hash[:2], f.Hash)); err != nil {
				t.Errorf("%s not under sha256/xx/: %v", c.name, err)
			}
			st, err := blob.Stat(context.Background(), db, f.Hash)
			if err != nil || st.Size != f.Size || st.Mime != c.mime {
				t.Errorf("%s recorded as %+v, %v", c.name, st, err)
			}
		}
		if n := rows(t, db); n != len(cases) {
			t.Errorf("%d blob rows, want %d", n, len(cases))
		}
		if n := tmpLeft(t, s); n != 0 {
			t.Errorf("%d temporary files left behind", n)
		}
	})
}

func TestSameContentIsStoredOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, err := blob.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		content := []byte("第一季度进展：完成 40%。")
		a, err := put(t, db, s, content, "a.txt")
		if err != nil {
			t.Fatal(err)
		}
		b, err := put(t, db, s, content, "b.txt")
		if err != nil {
			t.Fatal(err)
		}
		if a.Hash != b.Hash || b.Name != "b.txt" {
			t.Errorf("same content gave %+v and %+v", a, b)
		}
		if n := rows(t, db); n != 1 {
			t.Errorf("%d rows for one content", n)
		}
		files, _ := filepath.Glob(filepath.Join(s.Dir(), "sha256", "*", "*"))
		if len(files) != 1 {
			t.Errorf("%d files on disk for one content", len(files))
		}
		if n := tmpLeft(t, s); n != 0 {
			t.Errorf("%d temporary files left behind", n)
		}
	})
}

func TestRefusedFilesLeaveNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, err := blob.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		s.MaxSize = 1 << 20
		cases := []struct {
			name    string
			content []byte
			rule    string
		}{
			{"empty.pdf", nil, "rule.file.empty"},
			{"big.txt", bytes.Repeat([]byte("a"), 1<<20+1), "rule.file.too_large"},
			{"setup.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 100)...), "rule.file.type"},
			{"page.txt", []byte("<html><script>alert(1)</script></html>"), "rule.file.type"},
			{"archive.docx", zipBytes(t, "evil.exe"), "rule.file.type"},
			{"image.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "rule.file.type"},
		}
		for _, c := range cases {
			_, err := put(t, db, s, c.content, c.name)
			wantRule(t, err, c.rule)
		}
		l, _ := fielderr.As(func() error { _, err := put(t, db, s, cases[1].content, "x"); return err }())
		if l[0].Params["max_mib"] != int64(1) {
			t.Errorf("too-large params = %v", l[0].Params)
		}
		if n := rows(t, db); n != 0 {
			t.Errorf("%d rows after refusals", n)
		}
		files, _ := filepath.Glob(filepath.Join(s.Dir(), "sha256", "*", "*"))
		if len(files) != 0 || tmpLeft(t, s) != 0 {
			t.Errorf("refused uploads left files: %v, %d temporary", files, tmpLeft(t, s))
		}
	})
}

func TestDefaultLimitIs20MiB(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, err := blob.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		ok := bytes.Repeat([]byte("b"), blob.DefaultMaxSize)
		if _, err := put(t, db, s, ok, "ok.txt"); err != nil {
			t.Fatalf("20 MiB refused: %v", err)
		}
		_, err = put(t, db, s, append(ok, 'c'), "big.txt")
		wantRule(t, err, "rule.file.too_large")
	})
}

func TestOpenRefusesPathsAndUnknownHashes(t *testing.T) {
	t.Parallel()
	s, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"", "../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("0", 64)} {
		if _, err := s.Open(h); !errors.Is(err, fielderr.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want not found", h, err)
		}
	}
}
