package e2e

import (
	"bytes"
	"context"
	"image/png"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/locales"
)

// phoneWidth is the narrowest screen the pages are held to: inspectors work
// on phones.
const phoneWidth = 360

// syncBuffer collects the server's and the browser's logs, shown when a test
// fails.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startHallmark starts the whole program with the demo on a new SQLite file.
func startHallmark(t *testing.T) *app.Instance {
	t.Helper()
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inst, err := app.Start(ctx, app.Options{
		Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "hallmark.db"), Demo: true,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("start Hallmark: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := inst.Stop(ctx); err != nil {
			t.Errorf("stop Hallmark: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return inst
}

// needBrowser skips the test unless browser tests were asked for.
func needBrowser(t *testing.T) {
	t.Helper()
	if os.Getenv("HALLMARK_TEST_BROWSER") != "1" {
		t.Skip("browser test: set HALLMARK_TEST_BROWSER=1 (and HALLMARK_TEST_CHROMIUM if Chromium is not /usr/bin/chromium) to run it")
	}
}

// startBrowser starts a headless Chromium whose user asks for Chinese pages.
// The flags are listed here rather than taken from chromedp's defaults, so
// that what the browser does is what this list says.
func startBrowser(t *testing.T, acceptLanguage string) context.Context {
	t.Helper()
	bin := os.Getenv("HALLMARK_TEST_CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("HALLMARK_TEST_BROWSER=1 but there is no Chromium at %s: %v", bin, err)
	}
	out := &syncBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("lang", acceptLanguage),
		chromedp.Flag("accept-lang", acceptLanguage),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			t.Logf("browser output:\n%s", out)
		}
	})
	// The first action starts the browser; a browser that does not start
	// is a failure, not a reason to skip.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium at %s: %v\n%s", bin, err, out)
	}
	return ctx
}

// stepLimit bounds one browser action. It guards against a page that never
// arrives (the test fails naming the step instead of hanging), not against a
// slow one: printing CJK pages to PDF on a loaded two-core machine has taken
// over 15 s.
const stepLimit = time.Minute

// step bounds one browser action by stepLimit.
func step[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step(t, ctx, what, chromedp.Steps(steps...))
}

// load waits for the page that the steps lead to and returns its status.
func load(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}

func navigate(t *testing.T, ctx context.Context, u string) *network.Response {
	t.Helper()
	return step(t, ctx, "open "+u, chromedp.NavigateResponse(u))
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return step(t, ctx, "evaluate "+js, chromedp.Evaluate[T](js))
}

// checkPage holds every page to what any user would notice: the expected
// language, and no message missing from the catalogs.
func checkPage(t *testing.T, ctx context.Context, lang string) {
	t.Helper()
	where := eval[string](t, ctx, `location.pathname + location.search`)
	if got := eval[string](t, ctx, `document.documentElement.lang`); got != lang {
		t.Errorf("%s: page language %q, want %q", where, got, lang)
	}
	text := eval[string](t, ctx, `document.body.textContent`)
	if i := strings.Index(text, locales.Missing); i >= 0 {
		t.Errorf("%s: shows a message missing from the %s catalog: %q", where, lang, text[i:min(len(text), i+60)])
	}
}

// badUSCC returns good with a wrong check character.
func badUSCC(t *testing.T, good string) string {
	t.Helper()
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if byte(c) != good[17] {
			bad := good[:17] + string(c)
			if codes.CheckUSCC(bad) != codes.ErrUSCCChecksum {
				t.Fatalf("%s should fail only its checksum", bad)
			}
			return bad
		}
	}
	panic("unreachable")
}

// TestRegisterEnterpriseInChinese is the registry's main path as an officer
// meets it: sign in with a Chinese browser, register an enterprise, mistype
// its code and be told beside the field, correct it, find the enterprise in
// the list (also on a phone), and switch the interface to English.
func TestRegisterEnterpriseInChinese(t *testing.T) {
	needBrowser(t)
	t.Parallel()
	inst := startHallmark(t)
	ctx := startBrowser(t, "zh-CN")
	base := inst.URL

	// Sign in. The browser asks for Chinese, so the page is Chinese.
	if resp := navigate(t, ctx, base+"/login"); resp.Status != 200 {
		t.Fatalf("GET /login = %d", resp.Status)
	}
	if h1 := step(t, ctx, "read the heading", chromedp.Text(chromedp.CSS("h1"))); h1 != "登录" {
		t.Errorf("sign-in heading %q, want 登录 for a zh-CN browser", h1)
	}
	checkPage(t, ctx, "zh-CN")
	status := load(t, ctx, "sign in as admin",
		chromedp.SendKeys(chromedp.CSS("input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), demo.Password),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
	if path := eval[string](t, ctx, `location.pathname`); status != 200 || path != "/" {
		t.Fatalf("after signing in: %d at %s, want the home page", status, path)
	}
	checkPage(t, ctx, "zh-CN")

	// Register an enterprise with a mistyped code.
	good := codes.USCCFromSerial("152923", 987654321)
	bad := badUSCC(t, good)
	name := "额济纳旗浏览器测试乳业有限公司"
	if resp := navigate(t, ctx, base+"/enterprises/new"); resp.Status != 200 {
		t.Fatalf("GET /enterprises/new = %d", resp.Status)
	}
	checkPage(t, ctx, "zh-CN")
	status = load(t, ctx, "save with a bad code",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="uscc"]`), bad),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="name"]`), name),
		chromedp.Click(chromedp.CSS(`[data-testid="save"]`)))
	if status != 422 {
		t.Errorf("saving a bad code answered %d, want 422", status)
	}
	besideUSCC := eval[string](t, ctx, `(() => {
		const input = document.querySelector('input[name=uscc]');
		const label = input && input.closest('label');
		const err = label && label.querySelector('span.error');
		return err ? err.textContent : '';
	})()`)
	if !strings.Contains(besideUSCC, "校验码不符") {
		t.Errorf("beside the USCC field the page says %q, want the checksum rule 校验码不符", besideUSCC)
	}
	if got := step(t, ctx, "read aria-invalid", chromedp.AttributeValue(chromedp.CSS("input[name=uscc]"), "aria-invalid")); got.Value != "true" {
		t.Errorf("the USCC field is not marked invalid: %+v", got)
	}
	if got := step(t, ctx, "read the name back", chromedp.Value(chromedp.CSS("input[name=name]"))); got != name {
		t.Errorf("after the error the name field holds %q; the officer's typing was lost", got)
	}
	checkPage(t, ctx, "zh-CN")

	// Correct the code and save.
	status = load(t, ctx, "save the corrected code",
		chromedp.Clear(chromedp.CSS(`[data-testid="uscc"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="uscc"]`), good),
		chromedp.Click(chromedp.CSS(`[data-testid="save"]`)))
	path := eval[string](t, ctx, `location.pathname`)
	if status != 200 || !regexp.MustCompile(`^/enterprises/[0-9a-f-]{36}$`).MatchString(path) {
		t.Fatalf("after saving: %d at %s, want the new enterprise's page", status, path)
	}
	if h1 := step(t, ctx, "read the heading", chromedp.Text(chromedp.CSS("h1"))); h1 != name {
		t.Errorf("the enterprise page is headed %q, want %q", h1, name)
	}
	if facts := step(t, ctx, "read the facts", chromedp.Text(chromedp.CSS("dl.facts"))); !strings.Contains(facts, good) {
		t.Errorf("the enterprise page does not show the code %s: %q", good, facts)
	}
	checkPage(t, ctx, "zh-CN")

	// Find it in the list.
	if resp := navigate(t, ctx, base+"/enterprises?q="+url.QueryEscape(name)); resp.Status != 200 {
		t.Fatalf("search the list = %d", resp.Status)
	}
	found := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#results tbody a')).map(a => a.textContent + ' ' + a.getAttribute('href'))`)
	if len(found) != 1 || found[0] != name+" "+path {
		t.Errorf("searching for %q lists %q, want exactly the new enterprise linking to %s", name, found, path)
	}
	checkPage(t, ctx, "zh-CN")

	// On a phone the list fits the screen: nothing scrolls sideways.
	do(t, ctx, "narrow the screen", chromedp.EmulateViewport(phoneWidth, 740, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	navigate(t, ctx, base+"/enterprises")
	if rows := eval[int](t, ctx, `document.querySelectorAll('#results tbody tr').length`); rows < 10 {
		t.Errorf("the phone list shows %d rows, want a full page of the demo's enterprises", rows)
	}
	shot := step(t, ctx, "screenshot", chromedp.CaptureScreenshot())
	if cfg, err := png.DecodeConfig(bytes.NewReader(shot)); err != nil || cfg.Width != phoneWidth {
		t.Errorf("the screenshot is not a %d px wide PNG: %+v %v", phoneWidth, cfg, err)
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "enterprises-360.png"), shot, 0o644); err != nil {
		t.Error(err)
	}
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > phoneWidth {
		wide := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('body *'))
			.filter(e => e.getBoundingClientRect().right > `+strconv.Itoa(phoneWidth)+` + 1)
			.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))`)
		t.Errorf("at %d px the enterprise list is %d px wide and scrolls sideways; too wide: %q", phoneWidth, w, wide)
	}
	do(t, ctx, "widen the screen", chromedp.EmulateReset())

	// Switch to English with the buttons in the header; the choice sticks.
	navigate(t, ctx, base+"/enterprises")
	status = load(t, ctx, "switch to English", chromedp.Click(chromedp.CSS(`form.lang button[value=en]`)))
	if path := eval[string](t, ctx, `location.pathname`); status != 200 || path != "/enterprises" {
		t.Errorf("after switching language: %d at %s, want back on /enterprises", status, path)
	}
	if h1 := step(t, ctx, "read the heading", chromedp.Text(chromedp.CSS("h1"))); h1 != "Enterprises" {
		t.Errorf("the list is headed %q in English, want Enterprises", h1)
	}
	if pressed := step(t, ctx, "read the language buttons", chromedp.AttributeValue(chromedp.CSS(`form.lang button[value=en]`), "aria-pressed")); pressed.Value != "true" {
		t.Errorf("the English button is not shown as chosen: %+v", pressed)
	}
	checkPage(t, ctx, "en")
	navigate(t, ctx, base+"/enterprises/new")
	checkPage(t, ctx, "en")
}
