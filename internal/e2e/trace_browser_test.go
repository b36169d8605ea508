package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hallmark-platform/hallmark/internal/demo"
)

// TestRecalledLotIsTracedAndShownToThePublic is traceability's main path on
// the demo banner: anyone who scans the recalled yoghurt lot's code sees the
// recall in red; an official traces the lot forward, sees where it went as a
// graph and a table, and opens the recall with its holders.
func TestRecalledLotIsTracedAndShownToThePublic(t *testing.T) {
	needBrowser(t)
	t.Parallel()
	inst := startHallmark(t)
	base := inst.URL
	recalled, err := demo.RecalledLot(context.Background(), inst.DB)
	if err != nil {
		t.Fatal(err)
	}

	// The public page of the lot, as its printed QR code leads to it.
	lotPath := strings.TrimPrefix(recalled, "https://id.gs1.org")
	public := startBrowser(t, "zh-CN")
	if resp := navigate(t, public, base+lotPath); resp.Status != 200 {
		t.Fatalf("public lot page: status %d", resp.Status)
	}
	banner := eval[string](t, public, `(document.querySelector('[data-testid="recall"]') || {}).textContent || ""`)
	if !strings.Contains(banner, "召回") {
		t.Fatalf("the public page of the recalled lot shows no recall banner: %q", banner)
	}
	if color := eval[string](t, public, `getComputedStyle(document.querySelector('[data-testid="recall"]')).backgroundColor`); !strings.HasPrefix(color, "rgb(") || color == "rgba(0, 0, 0, 0)" {
		t.Fatalf("the recall banner has no colour: %q", color)
	}

	// The lot's test report is listed, leading to the verification page.
	if href := eval[string](t, public, `(document.querySelector('a[href^="/public/reports/verify?no="]') || {}).href || ""`); href == "" {
		t.Fatalf("the public page of the recalled lot lists no test report")
	}

	// An official traces it forward from the trace page.
	tab := startBrowser(t, "zh-CN")
	signIn(t, tab, base, "officer-scj")
	navigate(t, tab, base+"/trace")
	load(t, tab, "trace the recalled lot forward",
		chromedp.SendKeys(chromedp.CSS(`input[name=epc]`), recalled),
		chromedp.Click(chromedp.CSS(`form[data-testid="trace-form"] button[type=submit]`)))
	do(t, tab, "wait for the graph", chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-result"] .chart svg`)))
	parties := eval[int](t, tab, `[...document.querySelectorAll('[data-testid="trace-nodes"] tbody tr')].filter(r => r.textContent.includes('/party/')).length`)
	if parties < 4 {
		t.Fatalf("the forward trace lists %d parties, want the trader, two supermarkets and the restaurant", parties)
	}
	if href := eval[string](t, tab, `document.querySelector('[data-testid="trace-export"]').getAttribute('href')`); !strings.Contains(href, url.QueryEscape(recalled)) {
		t.Fatalf("the export link does not carry the lot: %q", href)
	}

	// The recall, from the list, with its holders and the one that confirmed.
	navigate(t, tab, base+"/recalls")
	load(t, tab, "open the recall", chromedp.Click(chromedp.CSS(`table a[href^="/recalls/"]`)))
	holders := eval[int](t, tab, `document.querySelectorAll('[data-testid="holder"]').length`)
	done := eval[int](t, tab, `document.querySelectorAll('[data-testid="holder"][data-status="done"]').length`)
	if holders < 4 || done != 1 {
		t.Fatalf("the recall lists %d holders with %d done; want at least 4 with the first supermarket done", holders, done)
	}
}
