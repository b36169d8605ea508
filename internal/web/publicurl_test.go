package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/web"
)

// With a public address set, links the platform hands out (Digital Link
// answers, and with them QR labels and report links) use it whatever Host
// the request names, so that a forged Host header cannot put another
// site's address on a label; without one they follow the request.
func TestPublicURLIsUsedForLinks(t *testing.T) {
	db := storetest.SQLite(t)
	links := func(public string) string {
		t.Helper()
		srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BlobDir: t.TempDir(), PublicURL: public})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/01/06901234567892/10/L1?linkType=all", nil)
		req.Host = "forged.example"
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("linkset: %d %s", rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	if body := links("https://trace.example.gov.cn/"); !strings.Contains(body, `"https://trace.example.gov.cn/01/06901234567892/10/L1`) ||
		strings.Contains(body, "forged.example") {
		t.Errorf("with a public URL: %s", body)
	}
	if body := links(""); !strings.Contains(body, `"http://forged.example/01/06901234567892/10/L1`) {
		t.Errorf("without one: %s", body)
	}
	for _, bad := range []string{"trace.example.gov.cn", "ftp://trace.example.gov.cn", "https://trace.example.gov.cn/hallmark", "https://trace.example.gov.cn/?a=1", "https://"} {
		if _, err := web.New(web.Config{DB: db, BlobDir: t.TempDir(), PublicURL: bad}); err == nil {
			t.Errorf("public URL %q accepted", bad)
		}
	}
}
