package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/lab"
)

// TestNonconformingReportIsIssuedVerifiedAndObjectedToLate is the testing
// system's main path on the demo banner: the testing centre's tester enters
// the results of the yoghurt sample waiting at the centre, one of them below
// the standard's minimum, and drafts the report; the authorised signatory
// approves it; anyone holding the printed report verifies it on the public
// page; and the supermarket, whose September report it never objected to,
// is told that its objection comes too late, and until when it could have.
func TestNonconformingReportIsIssuedVerifiedAndObjectedToLate(t *testing.T) {
	needBrowser(t)
	t.Parallel()
	inst := startHallmark(t)
	base := inst.URL
	ctx := context.Background()

	var sampleID string
	if err := inst.DB.QueryRow(ctx, `SELECT id FROM lab_samples WHERE custody = 'received'`).Scan(&sampleID); err != nil {
		t.Fatalf("the demo's sample waiting for results: %v", err)
	}

	// The tester records the testing and enters the results.
	tester := startBrowser(t, "zh-CN")
	signIn(t, tester, base, "lab")
	navigate(t, tester, base+"/lab/samples/"+sampleID)
	load(t, tester, "record that the sample was tested",
		chromedp.Click(chromedp.CSS(`form[data-testid="custody-form"] button[type=submit]`)))
	if got := eval[string](t, tester, `document.querySelector('[data-testid="sample"]').dataset.custody`); got != "tested" {
		t.Fatalf("custody after recording the test: %q", got)
	}
	items := eval[[]string](t, tester, `[...document.querySelectorAll('[data-testid="result"]')].map(r => r.dataset.item)`)
	values := map[string][3]string{
		"乳酸菌数":    {"5.0×10⁵", "CFU/g", "GB 4789.35-2023"},
		"蛋白质":     {"2.95", "g/100g", "GB 5009.5-2016"},
		"铅（以Pb计）": {"<0.005", "mg/kg", "GB 5009.12-2023"},
	}
	var fill []chromedp.Action[chromedp.Void]
	for i, item := range items {
		v, ok := values[item]
		if !ok {
			t.Fatalf("the sample asks for an item the dairy round does not test: %q (items %v)", item, items)
		}
		n := string(rune('0' + i))
		fill = append(fill,
			chromedp.SendKeys(chromedp.CSS(`input[name="value`+n+`"]`), v[0]),
			chromedp.SendKeys(chromedp.CSS(`input[name="unit`+n+`"]`), v[1]),
			chromedp.SendKeys(chromedp.CSS(`input[name="method`+n+`"]`), v[2]))
	}
	load(t, tester, "enter the results", append(fill, chromedp.Click(chromedp.CSS(`[data-testid="save-results"]`)))...)
	verdict := eval[string](t, tester, `(document.querySelector('[data-testid="result"][data-item="乳酸菌数"]') || {dataset: {}}).dataset.conclusion || ""`)
	why := eval[string](t, tester, `(document.querySelector('[data-testid="result"][data-item="乳酸菌数"] [data-testid="why"]') || {}).textContent || ""`)
	if verdict != "nonconforming" || !strings.Contains(why, "GB 19302") {
		t.Fatalf("lactic acid bacteria at 5.0×10⁵ CFU/g: %q, why %q; want nonconforming against GB 19302", verdict, why)
	}
	load(t, tester, "draft the report", chromedp.Click(chromedp.CSS(`form[data-testid="draft-form"] button[type=submit]`)))
	number, ok := strings.CutPrefix(eval[string](t, tester, `location.pathname`), "/lab/reports/")
	if !ok || eval[string](t, tester, `document.querySelector('[data-testid="report"]').dataset.status`) != "draft" {
		t.Fatalf("drafting the report led to %s", eval[string](t, tester, `location.href`))
	}

	// The tester cannot approve what they drafted; the signatory does.
	load(t, tester, "approve one's own draft", chromedp.Click(chromedp.CSS(`form[data-testid="approve-form"] button[type=submit]`)))
	if msg := eval[string](t, tester, `(document.querySelector('[data-testid="approve-error"]') || {}).textContent || ""`); msg == "" {
		t.Fatalf("the drafter approved their own report")
	}
	signer := startBrowser(t, "zh-CN")
	signIn(t, signer, base, "lab-signer")
	navigate(t, signer, base+"/lab/reports/"+number)
	load(t, signer, "approve the report", chromedp.Click(chromedp.CSS(`form[data-testid="approve-form"] button[type=submit]`)))
	if st := eval[string](t, signer, `document.querySelector('[data-testid="report"]').dataset.status`); st != "issued" {
		t.Fatalf("report after approval: %q", st)
	}
	code := eval[string](t, signer, `document.querySelector('[data-testid="code"]').textContent`)

	// Anyone with the printed report verifies it.
	public := startBrowser(t, "zh-CN")
	navigate(t, public, base+"/public/reports/verify")
	load(t, public, "verify the report",
		chromedp.SendKeys(chromedp.CSS(`form[data-testid="verify-form"] input[name=no]`), number),
		chromedp.SendKeys(chromedp.CSS(`form[data-testid="verify-form"] input[name=code]`), code),
		chromedp.Click(chromedp.CSS(`form[data-testid="verify-form"] button[type=submit]`)))
	if st := eval[string](t, public, `document.querySelector('[data-testid="verify-state"]').dataset.state`); st != "valid" {
		t.Fatalf("verification of %s with its code: %q", number, st)
	}
	if c := eval[string](t, public, `document.querySelector('[data-testid="verify-content"] [data-testid="conclusion"]').textContent`); !strings.Contains(c, "不合格") {
		t.Fatalf("the verified report's conclusion reads %q", c)
	}
	if fp := eval[string](t, public, `document.querySelector('[data-testid="fingerprint"]').textContent`); len(strings.TrimSpace(fp)) != 64 {
		t.Fatalf("fingerprint %q", fp)
	}

	// The supermarket objects to its September report: too late.
	var late string
	if err := inst.DB.QueryRow(ctx, `SELECT r.number FROM lab_reports r JOIN lab_samples s ON s.id = r.sample_id
		JOIN users u ON u.enterprise_id = s.enterprise_id WHERE u.username = 'shop' AND r.conclusion = 'nonconforming' AND r.status = 'issued'`).Scan(&late); err != nil {
		t.Fatalf("the supermarket's nonconforming report: %v", err)
	}
	shop := startBrowser(t, "zh-CN")
	signIn(t, shop, base, "shop")
	navigate(t, shop, base+"/lab/reports/"+late)
	load(t, shop, "object to the September report",
		chromedp.Click(chromedp.CSS(`form[data-testid="objection-form"] input[name=items]`)),
		chromedp.SendKeys(chromedp.CSS(`form[data-testid="objection-form"] textarea[name=reason]`), "对毒死蜱检验结果有异议，申请复检。"),
		chromedp.Click(chromedp.CSS(`form[data-testid="objection-form"] button[type=submit]`)))
	refusal := eval[string](t, shop, `document.querySelector('form[data-testid="objection-form"]').innerText`)
	deadline := eval[string](t, shop, `(document.querySelector('[data-testid="deadline"]') || {}).textContent || ""`)
	if deadline == "" || !strings.Contains(refusal, deadline) {
		t.Fatalf("the late objection is not refused with its deadline %q: %q", deadline, refusal)
	}
	var n int
	if err := inst.DB.QueryRow(ctx, `SELECT COUNT(*) FROM lab_objections`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d objections kept after a late one (%v)", n, err)
	}
}

// TestSampleFormListsTheChosenEnterprisesProducts: on a sampling task for
// the whole banner, choosing the enterprise sampled brings up its
// registered products without leaving the form.
func TestSampleFormListsTheChosenEnterprisesProducts(t *testing.T) {
	needBrowser(t)
	t.Parallel()
	inst := startHallmark(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	officer, err := auth.UserByUsername(ctx, inst.DB, "officer-scj")
	if err != nil {
		t.Fatal(err)
	}
	var centre, dairy, yoghurt string
	if err := inst.DB.QueryRow(ctx, `SELECT institution_id FROM lab_tasks ORDER BY created_at LIMIT 1`).Scan(&centre); err != nil {
		t.Fatal(err)
	}
	if err := inst.DB.QueryRow(ctx, `SELECT enterprise_id, name FROM products WHERE name LIKE '%酸奶%' ORDER BY created_at LIMIT 1`).Scan(&dairy, &yoghurt); err != nil {
		t.Fatal(err)
	}
	task, err := lab.CreateSamplingTask(ctx, inst.DB, officer, lab.TaskInput{Title: "全旗乳制品抽检", Category: "发酵乳", Kind: "food",
		Items: []string{"蛋白质"}, InstitutionID: centre, PeriodFrom: "2026-01-01", PeriodTo: "2027-12-31"})
	if err != nil {
		t.Fatal(err)
	}

	b := startBrowser(t, "zh-CN")
	signIn(t, b, inst.URL, "officer-scj")
	navigate(t, b, inst.URL+"/lab/samples/new?task="+task.ID)
	if n := eval[int](t, b, `document.querySelectorAll('[data-testid="product-picker"]').length`); n != 0 {
		t.Fatal("a product picker before any enterprise is chosen")
	}
	do(t, b, "choose the dairy", chromedp.SetValue(chromedp.CSS(`select[name=enterprise_id]`), dairy))
	eval[bool](t, b, `document.querySelector('select[name=enterprise_id]').dispatchEvent(new Event('change', {bubbles: true}))`)
	do(t, b, "wait for its products", chromedp.WaitVisible(chromedp.CSS(`[data-testid="product-picker"]`)))
	options := eval[string](t, b, `document.querySelector('[data-testid="product-picker"]').textContent`)
	if !strings.Contains(options, yoghurt) {
		t.Fatalf("the picker does not offer the dairy's %s: %q", yoghurt, options)
	}
	if got := eval[string](t, b, `document.querySelector('select[name=enterprise_id]').value`); got != dairy {
		t.Fatalf("the enterprise chosen was lost: %q", got)
	}
}
