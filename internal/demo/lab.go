package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// The banner's testing institutions: the banner testing centre (food and
// products, the demo's "lab" and "lab-signer" accounts) and a motor-vehicle
// testing station (the "vehicle-station" account), whose CMA certificate
// runs out within two months, so its reminder and warning show.
type institution struct {
	name, prefix, cma, cnas, address, contact string
	validFrom, validYears                     int // validity starts validFrom days before today
	scope                                     []lab.ScopeEntry
}

var institutions = []institution{
	{name: "额济纳旗检验检测中心", prefix: "EJN", cma: "211512050231", cnas: "CNAS L15862",
		address: "额济纳旗达来呼布镇航天路 18 号", contact: "0483-6522318", validFrom: 1400, validYears: 6,
		scope: []lab.ScopeEntry{
			{Category: "叶菜类蔬菜", Item: "毒死蜱", Method: "GB 23200.113-2018"},
			{Category: "叶菜类蔬菜", Item: "氧乐果", Method: "GB 23200.113-2018"},
			{Category: "叶菜类蔬菜", Item: "克百威", Method: "GB 23200.112-2018"},
			{Category: "叶菜类蔬菜", Item: "铅（以Pb计）", Method: "GB 5009.12-2023"},
			{Category: "叶菜类蔬菜", Item: "镉（以Cd计）", Method: "GB 5009.15-2023"},
			{Category: "发酵乳", Item: "乳酸菌数", Method: "GB 4789.35-2023"},
			{Category: "发酵乳", Item: "蛋白质", Method: "GB 5009.5-2016"},
			{Category: "发酵乳", Item: "铅（以Pb计）", Method: "GB 5009.12-2023"},
			{Category: "生乳", Item: "菌落总数", Method: "GB 4789.2-2022"},
			{Category: "生乳", Item: "蛋白质", Method: "GB 5009.5-2016"},
			{Category: "畜肉", Item: "铅（以Pb计）", Method: "GB 5009.12-2023"},
		}},
	{name: "额济纳旗机动车检测站", prefix: "EJNJC", cma: "221512050077",
		address: "额济纳旗达来呼布镇东环路 6 号", contact: "0483-6521190", validFrom: 6*365 - 55, validYears: 6,
		scope: []lab.ScopeEntry{
			{Category: "机动车", Item: "安全技术检验", Method: "GB 38900-2020"},
			{Category: "机动车", Item: "汽油车污染物排放", Method: "GB 18285-2018"},
			{Category: "机动车", Item: "柴油车污染物排放", Method: "GB 3847-2018"},
		}},
}

// institutionAccounts says which demo account works for which institution.
var institutionAccounts = map[string]string{"lab": institutions[0].name, "lab-signer": institutions[0].name,
	"vehicle-station": institutions[1].name}

// loadInstitutions registers the institutions (as the office) and returns
// their IDs by name.
func loadInstitutions(ctx context.Context, db *store.DB, office *auth.User, now time.Time) (map[string]string, error) {
	ids := map[string]string{}
	for i, in := range institutions {
		from := now.AddDate(0, 0, -in.validFrom)
		made, err := lab.CreateInstitution(ctx, db, office, lab.InstitutionInput{
			RegionCode: Region, Name: in.name, USCC: codes.USCCFromSerial(Region, uint64(7_000_000+i*104729)),
			ReportPrefix: in.prefix, CMANumber: in.cma, CMAValidFrom: workday.FormatDate(from),
			CMAValidTo: workday.FormatDate(from.AddDate(in.validYears, 0, -1)), CNASNumber: in.cnas,
			Address: in.address, Contact: in.contact, Scope: in.scope})
		if err != nil {
			return nil, fmt.Errorf("demo institution %s: %w", in.name, err)
		}
		ids[in.name] = made.ID
	}
	return ids, nil
}

// labDemo replays the testing system's year as its people would have lived
// it, each step at its own time.
type labDemo struct {
	db                 *store.DB
	officer, lab, sign *auth.User
	centre             string
	seal               string // the hash of the seal photo every sample shows
}

func (d *labDemo) at(ctx context.Context, t time.Time) context.Context {
	return lab.WithClock(ctx, func() time.Time { return t })
}

// sampled is one sample to take and the results it comes back with.
type sampled struct {
	enterprise, product, productID, category, lot string
	quantity                                      float64
	unit                                          string
	results                                       []lab.ResultInput
}

// round takes the samples of a task on day, and the centre receives, tests
// and reports on them over the following days.
func (d *labDemo) round(ctx context.Context, task *lab.Task, day time.Time, samples []sampled) ([]*lab.Report, error) {
	var out []*lab.Report
	for i, s := range samples {
		taken := day.Add(time.Duration(9+i) * time.Hour)
		sm, err := lab.CreateSample(d.at(ctx, taken), d.db, d.officer, lab.SampleInput{TaskID: task.ID, EnterpriseID: s.enterprise,
			ProductID: s.productID, ProductName: s.product, Category: s.category, Lot: s.lot, Quantity: s.quantity, Unit: s.unit,
			SampledOn: workday.FormatDate(taken), Samplers: []string{"刘晓东", "巴图孟和"}, SealPhotos: []string{d.seal}})
		if err != nil {
			return nil, fmt.Errorf("demo sample %s: %w", s.product, err)
		}
		steps := []struct {
			who  *auth.User
			step string
			at   time.Time
			note string
		}{
			{d.officer, "sent", taken.Add(3 * time.Hour), "封样完好，冷链送检"},
			{d.lab, "received", taken.Add(22 * time.Hour), "样品状态正常，封条完整"},
			{d.lab, "tested", taken.Add(70 * time.Hour), ""},
			{d.lab, "retained", taken.Add(72 * time.Hour), "备份样品留存于样品间 B-03"},
		}
		for _, st := range steps {
			if _, err := lab.AddCustodyStep(d.at(ctx, st.at), d.db, st.who, sm.ID, lab.CustodyInput{Step: st.step, At: store.Millis(st.at), Note: st.note}); err != nil {
				return nil, fmt.Errorf("demo custody %s %s: %w", s.product, st.step, err)
			}
		}
		if _, err := lab.EnterResults(d.at(ctx, taken.Add(71*time.Hour)), d.db, d.lab, sm.ID, s.results); err != nil {
			return nil, fmt.Errorf("demo results %s: %w", s.product, err)
		}
		draft, err := lab.DraftReport(d.at(ctx, taken.Add(73*time.Hour)), d.db, d.lab, sm.ID)
		if err != nil {
			return nil, fmt.Errorf("demo report %s: %w", s.product, err)
		}
		issued, err := lab.ApproveReport(d.at(ctx, taken.Add(94*time.Hour)), d.db, d.sign, draft.ID)
		if err != nil {
			return nil, fmt.Errorf("demo approval %s: %w", s.product, err)
		}
		out = append(out, issued)
	}
	return out, nil
}

// qualityMonth is the September of the programme's "质量月" that has
// already happened by now.
func qualityMonth(now time.Time) int {
	y := now.In(workday.Shanghai).Year()
	if now.Before(workday.Date(y, time.October, 1)) {
		y--
	}
	return y
}

// loadLab runs the testing system's year: the quality month's vegetable
// round in September, in which one sample of rape fails on a pesticide
// (its recall proposal waits for the officer), and the dairy round of the
// last weeks, which finds the demo's recalled yoghurt lot short of lactic
// acid bacteria. It returns the number of the yoghurt's report.
func loadLab(ctx context.Context, db *store.DB, blobs *blob.Store, now time.Time, p labParties) (string, error) {
	d := &labDemo{db: db}
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		f, err := blobs.Put(ctx, tx, bytes.NewReader(sealPhoto()), "封样照片.png", "image/png")
		d.seal = f.Hash
		return err
	}); err != nil {
		return "", fmt.Errorf("demo seal photo: %w", err)
	}
	var err error
	for name, u := range map[string]**auth.User{"officer-scj": &d.officer, "lab": &d.lab, "lab-signer": &d.sign} {
		if *u, err = auth.UserByUsername(ctx, db, name); err != nil {
			return "", fmt.Errorf("demo lab account %s: %w", name, err)
		}
	}
	d.centre = d.lab.InstitutionID

	// Camel milk, the banner's own produce, is not in the national food
	// classification: the office has said where it belongs.
	for _, l := range []limits.Link{
		{Name: "生驼乳", Kind: limits.LinkBroader, Target: "生乳"},
		{Name: "驼奶", Kind: limits.LinkSynonym, Target: "生驼乳"},
	} {
		if _, err := limits.SaveLink(ctx, db, l); err != nil {
			return "", fmt.Errorf("demo category %s: %w", l.Name, err)
		}
	}

	y := qualityMonth(now)
	var qmTask string
	_ = db.QueryRow(ctx, `SELECT id FROM tasks WHERE title LIKE ? ORDER BY created_at LIMIT 1`, "%质量月%").Scan(&qmTask)
	veg, err := lab.CreateSamplingTask(d.at(ctx, workday.Date(y, time.August, 25).Add(10*time.Hour)), db, d.officer, lab.TaskInput{
		Title: fmt.Sprintf("%d年“质量月”食用农产品监督抽检（叶菜类蔬菜）", y), Category: "叶菜类蔬菜", Kind: "food",
		Items: []string{"毒死蜱", "氧乐果", "克百威", "铅（以Pb计）", "镉（以Cd计）"}, InstitutionID: d.centre,
		PeriodFrom: fmt.Sprintf("%d-09-01", y), PeriodTo: fmt.Sprintf("%d-09-30", y), PlanTaskID: qmTask,
		PlanRef: "2021年质量强旗工作要点 · 组织开展“质量月”活动", Enterprises: p.vegetableSellers})
	if err != nil {
		return "", fmt.Errorf("demo quality-month task: %w", err)
	}
	vegResults := func(chlorpyrifos string) []lab.ResultInput {
		return []lab.ResultInput{
			{Item: "毒死蜱", Value: chlorpyrifos, Unit: "mg/kg", Method: "GB 23200.113-2018", LOD: "0.005"},
			{Item: "氧乐果", Value: "未检出", Unit: "mg/kg", Method: "GB 23200.113-2018", LOD: "0.005"},
			{Item: "克百威", Value: "未检出", Unit: "mg/kg", Method: "GB 23200.112-2018", LOD: "0.005"},
			{Item: "铅（以Pb计）", Value: "0.046", Unit: "mg/kg", Method: "GB 5009.12-2023", LOD: "0.005"},
			{Item: "镉（以Cd计）", Value: "0.021", Unit: "mg/kg", Method: "GB 5009.15-2023", LOD: "0.001"},
		}
	}
	stamp := fmt.Sprintf("%d09", y)
	day := workday.Date(y, time.September, 8)
	vegSamples := []sampled{
		{enterprise: p.vegetableSellers[0], product: "菠菜", category: "菠菜", lot: "BC" + stamp + "08-01", quantity: 2, unit: "kg", results: vegResults("未检出")},
		{enterprise: p.vegetableSellers[1], product: "油菜（普通白菜）", category: "普通白菜", lot: "YC" + stamp + "08-02", quantity: 2, unit: "kg", results: vegResults("0.087")},
		{enterprise: p.vegetableSellers[0], product: "芹菜", category: "芹菜", lot: "QC" + stamp + "08-03", quantity: 2, unit: "kg",
			// 敌敌畏 is outside the centre's CMA scope for this category: the
			// result stands, and the office sees a supervision flag.
			results: append(vegResults("0.011"), lab.ResultInput{Item: "敌敌畏", Value: "未检出", Unit: "mg/kg", Method: "GB 23200.113-2018", LOD: "0.005"})},
	}
	if _, err := d.round(ctx, veg, day, vegSamples); err != nil {
		return "", err
	}

	today := workday.Midnight(now)
	dairy, err := lab.CreateSamplingTask(d.at(ctx, today.AddDate(0, 0, -34).Add(9*time.Hour)), db, d.officer, lab.TaskInput{
		Title: "乳制品专项监督抽检（发酵乳）", Category: "发酵乳", Kind: "food", Items: []string{"乳酸菌数", "蛋白质", "铅（以Pb计）"},
		InstitutionID: d.centre, PeriodFrom: workday.FormatDate(today.AddDate(0, 0, -33)), PeriodTo: workday.FormatDate(today.AddDate(0, 0, 27)),
		Enterprises: []string{p.dairy, p.trader, p.vegetableSellers[1]}})
	if err != nil {
		return "", fmt.Errorf("demo dairy task: %w", err)
	}
	yoghurt := func(lacto string) []lab.ResultInput {
		return []lab.ResultInput{
			{Item: "乳酸菌数", Value: lacto, Unit: "CFU/g", Method: "GB 4789.35-2023"},
			{Item: "蛋白质", Value: "2.96", Unit: "g/100g", Method: "GB 5009.5-2016"},
			{Item: "铅（以Pb计）", Value: "<0.005", Unit: "mg/kg", Method: "GB 5009.12-2023"},
		}
	}
	reports, err := d.round(ctx, dairy, today.AddDate(0, 0, -8), []sampled{
		{enterprise: p.dairy, product: p.yoghurtName, productID: p.yoghurtProduct, category: "发酵乳", lot: p.yoghurtA, quantity: 12, unit: "盒", results: yoghurt("2.4×10⁷")},
		{enterprise: p.trader, product: p.yoghurtName, category: "发酵乳", lot: p.yoghurtB, quantity: 12, unit: "盒", results: yoghurt("3.2×10⁵")},
	})
	if err != nil {
		return "", err
	}
	// The second supermarket's yoghurt, sampled two days ago, is at the
	// centre and waits for its tests.
	taken := today.AddDate(0, 0, -2).Add(10 * time.Hour)
	pending, err := lab.CreateSample(d.at(ctx, taken), db, d.officer, lab.SampleInput{TaskID: dairy.ID, EnterpriseID: p.vegetableSellers[1],
		ProductName: p.yoghurtName, Category: "发酵乳", Lot: p.yoghurtA, Quantity: 12, Unit: "盒", SampledOn: workday.FormatDate(taken),
		Samplers: []string{"刘晓东", "巴图孟和"}, SealPhotos: []string{d.seal}})
	if err != nil {
		return "", fmt.Errorf("demo pending sample: %w", err)
	}
	for _, st := range []struct {
		who  *auth.User
		step string
		at   time.Time
	}{{d.officer, "sent", taken.Add(2 * time.Hour)}, {d.lab, "received", taken.Add(20 * time.Hour)}} {
		if _, err := lab.AddCustodyStep(d.at(ctx, st.at), db, st.who, pending.ID, lab.CustodyInput{Step: st.step, At: store.Millis(st.at)}); err != nil {
			return "", fmt.Errorf("demo pending sample %s: %w", st.step, err)
		}
	}
	// Results of September are final by now: their objection windows closed.
	if _, err := lab.FinaliseResults(lab.WithClock(ctx, func() time.Time { return now }), db, today); err != nil {
		return "", fmt.Errorf("demo final results: %w", err)
	}
	return reports[1].Number, nil
}

// sealPhoto draws a photo of a sealed sample bag: white paper, a red seal
// strip across it with its stamp.
func sealPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 480, 320))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{236, 232, 222, 255}}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(60, 40, 420, 280), &image.Uniform{color.RGBA{250, 250, 248, 255}}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(60, 140, 420, 184), &image.Uniform{color.RGBA{196, 30, 36, 255}}, image.Point{}, draw.Src)
	for y := -40; y <= 40; y++ {
		for x := -40; x <= 40; x++ {
			if d := x*x + y*y; d <= 40*40 && d >= 34*34 {
				img.Set(330+x, 162+y, color.RGBA{196, 30, 36, 255})
			}
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// labParties are the enterprises the demo's samples come from.
type labParties struct {
	vegetableSellers []string
	dairy, trader    string
	yoghurtProduct   string
	yoghurtName      string
	yoghurtA         string
	yoghurtB         string // the lot found nonconforming and recalled
	firstShop        string // the supermarket that has already confirmed the recall
}

// proposeRecalls turns the nonconforming results into recall proposals, as
// the event runner does once the server starts (it will find them made:
// proposing is once per event), so that the demo's recall can be opened
// from its proposal.
func proposeRecalls(ctx context.Context, db *store.DB) error {
	rows, err := db.Query(ctx, `SELECT id, topic, payload, created_at FROM events WHERE topic = ? ORDER BY id`, recall.TopicNonconforming)
	if err != nil {
		return err
	}
	var evs []jobs.Event
	for rows.Next() {
		var e jobs.Event
		var payload string
		if err := rows.Scan(&e.ID, &e.Topic, &payload, &e.CreatedAt); err != nil {
			rows.Close()
			return err
		}
		e.Payload = []byte(payload)
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range evs {
		if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := recall.Propose(ctx, tx, e); return err }); err != nil {
			return fmt.Errorf("demo recall proposal: %w", err)
		}
	}
	return nil
}
