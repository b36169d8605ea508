package demo

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// The demo's plan is the speech's programme: 《2021年质量强旗工作要点》
// decomposed to the member departments. The speech is 2021's, but a demo
// must be live: a plan whose year is over has nothing due, no light that can
// still change and no report to make. So the plan keeps the speech's title
// and content, and its dates are laid on the current year (the year of
// Load's now): it is issued after the Spring Festival, its deadlines fall
// through the year (the publicity days, quarter ends, mid-year, year end),
// and the departments' monthly reports are replayed, back-dated, up to
// today. Everything goes through the plan package with its clock set to
// the day the thing happened (plan.WithClock), so the reports, the light
// history, the inspection and the quarterly bulletins are the ones a real
// year would have left, and the dashboard and a new bulletin read them as
// such. In the first weeks of a year the programme has only just been
// issued, so there is little to report yet and most lights are green; that
// is what a live programme looks like then.

// planTitle is the speech's; the document's number (额质强发〔year〕1号) is
// the current year's, as the office would issue it now.
const planTitle = "2021年质量强旗工作要点"

// planOfficers own the plan's tasks: one officer of each department that
// leads a task (the 农牧局 is the "officer" account's own). They are demo
// accounts like the others, with demo.Password.
var planOfficers = []struct{ Username, Name, Dept string }{
	{"officer-scj", "市场监管局 刘股长", "市场监管局"},
	{"officer-zj", "住建局 高科长", "住建局"},
	{"officer-wl", "文旅局 孟科长", "文旅局"},
	{"officer-gx", "工信局 周科长", "工信局"},
	{"officer-sw", "商务局 马科长", "商务局"},
	{"officer-jy", "教育局 何科长", "教育局"},
}

// taskOwner is the account that owns a department's tasks.
var taskOwner = map[string]string{"市场监管局": "officer-scj", "农牧局": "officer", "住建局": "officer-zj",
	"文旅局": "officer-wl", "工信局": "officer-gx", "商务局": "officer-sw", "教育局": "officer-jy"}

func init() {
	// Listed with the seven accounts, so the loader creates them and the
	// sign-in page can name them.
	for _, o := range planOfficers {
		Users = append(Users, struct {
			Username string
			Role     auth.Role
			Name     string
			Dept     string
		}{o.Username, auth.RoleOfficer, o.Name, o.Dept})
	}
}

// How a task's year goes, as of the demo's today. A profile describes the
// work; where today falls decides what shows: a task whose deadline has
// not come is still under way whatever its profile.
type profile int

const (
	steady   profile = iota // reports a little ahead of time-proportional progress, done just before its deadline
	early                   // done well before its deadline (a good example)
	late                    // done some days after its deadline
	stalled                 // stuck short of done, past its deadline unless that is still to come (red)
	lagging                 // reports far below schedule (yellow, then red)
	behind                  // on schedule until the office's inspection, then revised down with a reason (yellow)
	missed                  // on schedule, but this month's report is missing (yellow once it is due)
	measured                // follows a platform count; no reports
)

// demoTask is one work point of the plan and the task that carries it.
type demoTask struct {
	content    string // the work point as the document words it
	title      string // the task
	dept       string // lead department (short name)
	supporting []string
	deadline   string // MM-DD in the plan's year
	target     string
	weight     float64
	profile    profile
	measure    string
	goal       float64 // measure target
	doing      string  // what a progress report says
	result     string  // what the last report says
}

type demoPoint struct {
	label, content string
	tasks          []demoTask
}

type demoSection struct {
	label, content string
	points         []demoPoint // (一) … under the section; nil when tasks hang under it directly
	tasks          []demoTask
}

// The plan document: the four systems and demonstration from part two of
// the speech, organisation, publicity and co-ordination from part three.
var planDoc = []demoSection{
	{label: "一、", content: "坚持“四项体系”，推动质量安全共治", points: []demoPoint{
		{"（一）", "健全质量监管体系", []demoTask{
			{content: "建立健全质量安全协调联动工作机制，把质量安全抓在手上、落实在行动上", title: "建立质量安全协调联动工作机制",
				dept: "市场监管局", supporting: []string{"农牧局", "住建局", "工信局", "商务局"}, deadline: "06-30",
				target: "印发协调联动工作机制，召开成员单位联席会议不少于2次", weight: 3, profile: steady,
				doing: "起草协调联动工作机制，征求各成员单位意见", result: "协调联动工作机制已印发，召开联席会议2次"},
			{content: "组织开展“双打”专项整治，加大对侵犯知识产权和制售假冒伪劣商品行为的打击力度", title: "组织开展“双打”专项整治",
				dept: "市场监管局", supporting: []string{"商务局", "文旅局"}, deadline: "12-20",
				target: "开展专项行动不少于2次，查办侵权假冒案件不少于5件", weight: 4, profile: steady,
				doing: "开展“双打”专项检查，查办侵权假冒案件", result: "全年专项整治完成，查办侵权假冒案件6件"},
			{content: "开展元旦、春节、五一、国庆等节日期间打假行动", title: "开展节日期间打假行动",
				dept: "市场监管局", supporting: []string{"商务局"}, deadline: "10-31",
				target: "重要节日期间集中检查不少于4次", weight: 3, profile: steady,
				doing: "完成节日市场集中检查，重点检查食品、烟酒、旅游商品", result: "四个节点集中打假行动全部完成"},
			{content: "开展农资打假专项治理，严查种子、化肥、农药、兽药、饲料等农资假冒伪劣问题", title: "开展农资打假专项治理",
				dept: "农牧局", supporting: []string{"市场监管局"}, deadline: "06-30",
				target: "春耕期间农资经营户检查全覆盖", weight: 3, profile: stalled,
				doing: "春季农资市场检查进行中，已检查农资经营户", result: "农资经营户检查全部完成"},
			{content: "开展建材市场质量专项检查，治理建材领域假冒伪劣", title: "开展建材市场质量专项检查",
				dept: "住建局", supporting: []string{"市场监管局"}, deadline: "09-30",
				target: "抽检建材产品不少于20批次", weight: 3, profile: late,
				doing: "对建材经营户和在建项目进场材料开展抽检", result: "完成建材抽检22批次，不合格4批次已移交处理"},
		}},
		{"（二）", "健全质量溯源体系", []demoTask{
			{content: "综合运用生产许可、资格审查、注册备案等手段，督促企业建立健全质量保证体系", title: "依法核发食品经营许可",
				dept: "市场监管局", deadline: "12-31", target: "全年核发食品经营许可证24件（按平台登记数据计量）",
				weight: 4, profile: measured, measure: registry.MeasureLicencesIssued, goal: 24},
			{content: "做好许可证到期延续，持续拉紧监管链条", title: "许可证到期延续换证",
				dept: "市场监管局", deadline: "12-31", target: "到期许可证延续换证15件（按平台登记数据计量）",
				weight: 2, profile: measured, measure: registry.MeasureLicencesRenewed, goal: 15},
			{content: "督促经营者严格执行进货查验、索证索票制度", title: "推进进货查验和索证索票",
				dept: "市场监管局", supporting: []string{"商务局"}, deadline: "12-20",
				target: "重点经营主体进货查验台账建立率100%", weight: 3, profile: steady,
				doing: "检查超市、批发市场进货查验台账", result: "重点经营主体进货查验台账全部建立"},
			{content: "落实不合格产品退市制度，杜绝不合格产品入市流通", title: "落实不合格产品退市制度",
				dept: "市场监管局", deadline: "11-30", target: "抽检不合格产品退市处置率100%", weight: 3, profile: steady,
				doing: "对抽检不合格产品逐批下达退市通知并跟踪处置", result: "不合格产品全部退市处置完毕"},
			{content: "落实重点商品备案制度，推进产品溯源体系建设", title: "推进重点商品备案",
				dept: "商务局", supporting: []string{"市场监管局"}, deadline: "12-31",
				target: "重点商品经营企业备案率100%", weight: 3, profile: missed,
				doing: "组织重点商品经营企业在平台备案", result: "重点商品经营企业全部备案"},
			{content: "明确建设、勘察、设计、施工和监理单位“五方责任主体”，落实质量安全责任终身负责制和工程项目法人责任制",
				title: "落实工程五方责任主体质量终身责任", dept: "住建局", deadline: "12-31",
				target: "在建项目五方责任主体公示和质量终身责任承诺书签署率100%", weight: 4, profile: behind,
				doing: "组织在建项目公示五方责任主体，签署质量终身责任承诺书", result: "在建项目五方责任全部落实"},
			{content: "开展在建工程质量安全巡查，从源头确保质量安全", title: "开展在建工程质量安全巡查",
				dept: "住建局", deadline: "12-20", target: "在建工程项目巡查全覆盖", weight: 3, profile: steady,
				doing: "按计划巡查在建工程项目，督促整改质量隐患", result: "在建工程项目巡查全覆盖，隐患整改完毕"},
			{content: "构建全方位的食品安全监管网络，实现顺向可追踪、逆向可溯源、风险可管控", title: "推进食品安全追溯体系建设",
				dept: "市场监管局", supporting: []string{"农牧局", "卫健委"}, deadline: "12-31",
				target: "重点食品生产企业追溯体系覆盖率90%以上", weight: 4, profile: steady,
				doing: "指导肉制品、乳制品生产企业建立追溯体系", result: "重点食品生产企业追溯体系全部建成"},
			{content: "推行食用农产品承诺达标合格证制度，推进农畜产品质量安全追溯", title: "推行食用农产品承诺达标合格证",
				dept: "农牧局", supporting: []string{"市场监管局"}, deadline: "11-30",
				target: "规模以上种养殖主体合格证开具率90%以上", weight: 3, profile: steady,
				doing: "培训种养殖主体开具合格证，开展巡查", result: "规模以上种养殖主体合格证开具率达92%"},
		}},
		{"（三）", "健全质量检测体系", []demoTask{
			{content: "加强对检验检测机构的监管，做好监督", title: "开展检验检测机构监督检查",
				dept: "市场监管局", deadline: "10-31", target: "辖区检验检测机构监督检查全覆盖", weight: 3, profile: steady,
				doing: "对辖区检验检测机构开展资质和报告质量检查", result: "检验检测机构监督检查全覆盖"},
			{content: "对已建成的机动车辆检测机构加强监管", title: "开展机动车检测机构专项检查",
				dept: "市场监管局", supporting: []string{"交通局"}, deadline: "09-30",
				target: "机动车安全技术检验机构专项检查1次", weight: 2, profile: steady,
				doing: "制定专项检查方案，检查机动车检测机构检验过程", result: "专项检查完成，问题已督促整改"},
			{content: "提升额济纳旗检测中心等质量公共检测服务平台服务水平，为提升质量效益提供技术支撑", title: "提升检测中心检验检测服务能力",
				dept: "市场监管局", supporting: []string{"工信局"}, deadline: "12-31",
				target: "新增检验检测项目不少于5项", weight: 3, profile: steady,
				doing: "检测中心扩项评审准备，已新增检验项目", result: "新增检验检测项目6项"},
		}},
		{"（四）", "健全质量诚信体系", []demoTask{
			{content: "不断完善质量信用评价制度，提升企业诚信自律意识", title: "完善质量信用评价制度",
				dept: "市场监管局", supporting: []string{"工信局", "商务局"}, deadline: "12-31",
				target: "建立重点企业质量信用档案，开展信用评价", weight: 3, profile: lagging,
				doing: "收集企业质量信用信息，评价办法起草中", result: "质量信用评价制度建立"},
			{content: "建立“守信激励、失信惩戒”的运行机制，营造诚实守信的社会环境", title: "建立守信激励、失信惩戒机制",
				dept: "工信局", supporting: []string{"市场监管局"}, deadline: "12-31",
				target: "出台守信激励失信惩戒措施，组织企业质量诚信承诺", weight: 3, profile: steady,
				doing: "组织工业企业签署质量诚信承诺书", result: "守信激励失信惩戒措施已出台"},
		}},
	}},
	{label: "二、", content: "坚持示范引领，推动质量提升共赢", points: []demoPoint{
		{"（一）", "抓好服务组织示范引领", []demoTask{
			{content: "分区域分层次、分批为企业开展以标准、计量、认证认可、检验检测等基础知识为重点的技能培训", title: "开展标准计量认证认可检验检测培训",
				dept: "市场监管局", supporting: []string{"工信局"}, deadline: "11-30",
				target: "培训不少于4场、200人次", weight: 3, profile: early,
				doing: "分批组织企业质量管理人员培训", result: "完成培训5场、236人次"},
			{content: "引导企业积极开展对标、达标活动", title: "组织工业企业对标达标",
				dept: "工信局", deadline: "12-31", target: "组织5家以上工业企业开展对标达标", weight: 3, profile: steady,
				doing: "指导企业对照先进标准查找差距，制定提升方案", result: "6家工业企业完成对标达标"},
			{content: "推进农牧业标准化、产业化，打造农畜产品品牌", title: "创建农牧业标准化生产示范基地",
				dept: "农牧局", deadline: "12-31", target: "创建农牧业标准化示范基地2个", weight: 3, profile: steady,
				doing: "在驼产业、蜜瓜种植基地推行标准化生产", result: "2个标准化示范基地通过验收"},
			{content: "开展旅游服务质量对标提升行动", title: "提升旅游服务质量",
				dept: "文旅局", deadline: "12-31", target: "A级景区、星级饭店服务质量对标提升全覆盖", weight: 3, profile: steady,
				doing: "对胡杨林景区和星级饭店开展服务质量对标检查", result: "A级景区、星级饭店服务质量对标全部完成"},
		}},
		{"（二）", "抓好文化示范引领", []demoTask{
			{content: "利用“3·15”国际消费者权益日契机，加大宣传力度", title: "开展“3·15”消费者权益日宣传",
				dept: "市场监管局", supporting: []string{"商务局"}, deadline: "03-31",
				target: "开展集中宣传咨询活动，发放宣传资料", weight: 2, profile: steady,
				doing: "筹备“3·15”集中宣传活动", result: "“3·15”集中宣传活动完成，受理咨询投诉"},
			{content: "利用“知识产权宣传周”契机，普及知识产权保护知识", title: "开展知识产权宣传周活动",
				dept: "市场监管局", deadline: "04-30", target: "开展知识产权宣传进企业、进市场活动", weight: 2, profile: steady,
				doing: "制定知识产权宣传周活动方案", result: "知识产权宣传周活动完成"},
			{content: "利用“5·20世界计量日”契机，宣传计量知识", title: "开展“5·20”世界计量日宣传",
				dept: "市场监管局", deadline: "05-31", target: "开展计量宣传和免费检定服务", weight: 2, profile: steady,
				doing: "筹备世界计量日宣传和免费检定服务", result: "世界计量日宣传活动完成，免费检定血压计等器具"},
			{content: "组织开展“质量月”活动，在全社会营造质量品牌的浓厚氛围", title: "组织开展“质量月”活动",
				dept: "市场监管局", supporting: []string{"工信局", "住建局", "文旅局"}, deadline: "09-30",
				target: "制定质量月活动方案，开展系列活动不少于5项", weight: 3, profile: steady,
				doing: "制定“质量月”活动方案，组织成员单位开展活动", result: "“质量月”系列活动全部完成"},
		}},
	}},
	{label: "三、", content: "加强组织领导", tasks: []demoTask{
		{content: "对照《2021年质量强旗工作要点》，迅速把各项任务层层细化分解，做到每项工作有人管", title: "细化分解工作任务",
			dept: "市场监管局", deadline: "03-31", target: "各成员单位报送任务分解方案", weight: 3, profile: steady,
			doing: "汇总各成员单位任务分解方案", result: "各成员单位任务分解方案全部报送"},
		{content: "提高企业参与质量奖评选的积极性，组织企业申报盟长质量奖", title: "组织企业申报盟长质量奖",
			dept: "工信局", supporting: []string{"市场监管局"}, deadline: "08-31",
			target: "动员3家以上企业申报盟长质量奖", weight: 3, profile: stalled,
			doing: "宣传质量奖政策，动员企业申报", result: "3家企业完成申报"},
	}},
	{label: "四、", content: "加大宣传力度", tasks: []demoTask{
		{content: "及时报道质量发展的工作经验、先进典型", title: "报道质量工作经验和先进典型",
			dept: "文旅局", supporting: []string{"市场监管局"}, deadline: "12-31",
			target: "开设质量专栏，刊发稿件不少于20篇", weight: 2, profile: steady,
			doing: "在融媒体平台质量专栏刊发稿件", result: "全年刊发质量稿件24篇"},
		{content: "曝光生产销售假冒伪劣产品等违法行为", title: "曝光假冒伪劣典型案例",
			dept: "市场监管局", deadline: "12-31", target: "每季度曝光典型案例不少于1批", weight: 2, profile: steady,
			doing: "按季度整理并曝光典型案例", result: "全年曝光典型案例4批"},
		{content: "深入开展群众性质量活动，推动质量知识进校园", title: "开展质量知识进校园活动",
			dept: "教育局", supporting: []string{"市场监管局"}, deadline: "06-30",
			target: "中小学质量知识主题活动全覆盖", weight: 2, profile: steady,
			doing: "组织中小学开展质量主题班会", result: "中小学质量知识主题活动全覆盖"},
	}},
	{label: "五、", content: "强化统筹协调", tasks: []demoTask{
		{content: "采取定期与不定期抽查的方式，加大督查力度，全程跟踪问效", title: "开展定期与不定期督查",
			dept: "市场监管局", deadline: "12-31", target: "每季度督查不少于1次", weight: 3, profile: steady,
			doing: "按季度对成员单位开展督查", result: "全年督查4次，问题全部整改"},
		{content: "定期通报工作进度，确保各项工作扎实推进", title: "定期通报工作进度",
			dept: "市场监管局", deadline: "12-31", target: "每季度通报1次", weight: 3, profile: steady,
			doing: "按季度通报各成员单位任务进展", result: "全年通报4次"},
	}},
}

// The inspected task: the office's visit finds its progress overstated.
const inspectedTask = "落实工程五方责任主体质量终身责任"

// planDemo replays the year; its fields are what the events share.
type planDemo struct {
	db      *store.DB
	cal     *workday.Calendar
	now     time.Time // the demo's now
	today   time.Time // its date in Asia/Shanghai
	year    int
	publish time.Time // the day the plan is issued
	office  *auth.User
	owners  map[string]*auth.User // department short name → task owner
	plan    *plan.Plan
	tasks   []*liveTask
}

// liveTask is a task as the replay follows it.
type liveTask struct {
	demoTask
	id       string
	seq      int
	deadline time.Time
	finish   time.Time // the day it is done (after today: not done by today)
	last     float64   // the last reported percent
	revised  bool      // the behind task after the inspection
	done     bool
	owner    *auth.User
}

// event is one thing that happens on the replayed timeline.
type event struct {
	at  time.Time
	seq int // keeps events at the same time in the order they were planned
	run func(ctx context.Context) error
}

// loadPlan issues the plan, replays the year up to now and leaves the
// lights computed by one last recompute.
func loadPlan(ctx context.Context, db *store.DB, deptIDs map[string]string, now time.Time) error {
	cal, err := workday.Load(ctx, db)
	if err != nil {
		return err
	}
	d := &planDemo{db: db, cal: cal, now: now, today: workday.Midnight(now), owners: map[string]*auth.User{}}
	d.year = d.today.Year()
	// Issued after the Spring Festival, as the speech's first meeting of
	// the leading group would be; on a demo started before that, today.
	d.publish = cal.RollForward(workday.Date(d.year, time.February, 22))
	if d.publish.After(d.today) {
		d.publish = d.today
	}
	if d.office, err = auth.UserByUsername(ctx, db, "office"); err != nil {
		return fmt.Errorf("demo plan: the office account: %w", err)
	}
	for dept, username := range taskOwner {
		u, err := auth.UserByUsername(ctx, db, username)
		if err != nil {
			return fmt.Errorf("demo plan: owner %s: %w", username, err)
		}
		if u.DepartmentID != deptIDs[dept] {
			return fmt.Errorf("demo plan: %s is not of %s", username, dept)
		}
		d.owners[dept] = u
	}
	if err := d.draft(ctx, deptIDs); err != nil {
		return err
	}
	events, err := d.timeline(ctx)
	if err != nil {
		return err
	}
	sort.SliceStable(events, func(i, j int) bool {
		if !events[i].at.Equal(events[j].at) {
			return events[i].at.Before(events[j].at)
		}
		return events[i].seq < events[j].seq
	})
	for _, e := range events {
		if err := e.run(plan.WithClock(ctx, func() time.Time { return e.at })); err != nil {
			return fmt.Errorf("demo plan on %s: %w", e.at.Format(time.DateTime), err)
		}
	}
	if _, err := plan.Recompute(plan.WithClock(ctx, func() time.Time { return now }), db, now); err != nil {
		return fmt.Errorf("demo plan: recompute: %w", err)
	}
	return nil
}

// at is hour o'clock on day in Asia/Shanghai.
func at(day time.Time, hour, minute int) time.Time {
	y, m, dd := day.In(workday.Shanghai).Date()
	return time.Date(y, m, dd, hour, minute, 0, 0, workday.Shanghai)
}

// clamp keeps an event that must happen from falling after now.
func (d *planDemo) clamp(t time.Time) time.Time {
	if t.After(d.now) {
		return d.now.Add(-time.Minute)
	}
	return t
}

// as is ctx with who as the actor of the audit records.
func as(ctx context.Context, who *auth.User) context.Context {
	return audit.WithActor(ctx, audit.Actor{ID: who.ID, Name: who.Name})
}

// draft writes the plan's document and its tasks as the office, a week
// before the plan is issued.
func (d *planDemo) draft(ctx context.Context, deptIDs map[string]string) error {
	t := d.clamp(at(d.publish.AddDate(0, 0, -7), 9, 0))
	ctx = as(plan.WithClock(ctx, func() time.Time { return t }), d.office)
	p, err := plan.CreatePlan(ctx, d.db, d.office, plan.PlanInput{RegionCode: Region, Year: d.year, Title: planTitle,
		DocNumber: fmt.Sprintf("额质强发〔%d〕1号", d.year), Cadence: plan.Monthly, ReportDay: plan.DefaultReportDay})
	if err != nil {
		return fmt.Errorf("demo plan: %w", err)
	}
	d.plan = p
	ids := func(shorts []string) []string {
		out := make([]string, len(shorts))
		for i, s := range shorts {
			out[i] = deptIDs[s]
		}
		return out
	}
	add := func(parent, label, content string) (string, error) {
		it, err := plan.AddItem(ctx, d.db, d.office, p.ID, plan.ItemInput{ParentID: parent, Label: label, Content: content})
		if err != nil {
			return "", fmt.Errorf("demo plan item %s%s: %w", label, content, err)
		}
		return it.ID, nil
	}
	addTasks := func(parent string, tasks []demoTask) error {
		for i, dt := range tasks {
			deadline, err := workday.ParseDate(fmt.Sprintf("%d-%s", d.year, dt.deadline))
			if err != nil {
				return err
			}
			it, err := plan.AddItem(ctx, d.db, d.office, p.ID, plan.ItemInput{ParentID: parent, Label: fmt.Sprintf("%d.", i+1),
				Content: dt.content, LeadDepartmentID: deptIDs[dt.dept], Supporting: ids(dt.supporting),
				Leader: dt.dept + "主要负责人", Deadline: workday.FormatDate(deadline), Target: dt.target, Weight: dt.weight})
			if err != nil {
				return fmt.Errorf("demo plan item %s: %w", dt.title, err)
			}
			lt := &liveTask{demoTask: dt, deadline: deadline, owner: d.owners[dt.dept]}
			in := plan.TaskInput{ItemID: it.ID, Title: dt.title, OwnerID: lt.owner.ID}
			if dt.measure != "" {
				in.MeasureKey, in.MeasureTarget = dt.measure, dt.goal
			}
			tk, err := plan.CreateTask(ctx, d.db, d.office, in)
			if err != nil {
				return fmt.Errorf("demo task %s: %w", dt.title, err)
			}
			lt.id, lt.seq = tk.ID, len(d.tasks)
			lt.finish = d.finishDay(lt)
			d.tasks = append(d.tasks, lt)
		}
		return nil
	}
	for _, s := range planDoc {
		top, err := add("", s.label, s.content)
		if err != nil {
			return err
		}
		if err := addTasks(top, s.tasks); err != nil {
			return err
		}
		for _, pt := range s.points {
			sub, err := add(top, pt.label, pt.content)
			if err != nil {
				return err
			}
			if err := addTasks(sub, pt.tasks); err != nil {
				return err
			}
		}
	}
	return nil
}

// finishDay is the day a task's work is done by its profile; a day after
// today means it is not done yet, and never (the far future) for the
// stalled and lagging.
func (d *planDemo) finishDay(t *liveTask) time.Time {
	never := workday.Date(d.year+10, time.January, 1)
	var f time.Time
	switch t.profile {
	case stalled, lagging, measured:
		return never
	case early:
		f = d.cal.AddWorkdays(t.deadline, -45)
	case late:
		f = d.cal.AddWorkdays(t.deadline, 8)
	default:
		// A publicity day's work ends with the day; the rest a few working
		// days before the deadline.
		f = d.cal.AddWorkdays(t.deadline, -(2 + t.seq%4))
	}
	if !f.After(d.publish) {
		f = d.cal.AddWorkdays(d.publish, 5)
	}
	return f
}

// expected is the time-proportional progress of work from start to end on
// day, by the light rule's own measure.
func (d *planDemo) expected(start, end, day time.Time) float64 {
	if !end.After(start) {
		return 100
	}
	a := plan.Assess(plan.Rule{}, d.cal, plan.TaskState{Start: start, Deadline: end, Measured: true,
		Cadence: plan.Monthly, ReportDay: plan.DefaultReportDay}, day)
	return a.Expected
}

// percent is what a task reports on day: departments report what they
// expect to stand at by the end of the month, rounded to five.
func (d *planDemo) percent(t *liveTask, day time.Time) float64 {
	var p float64
	switch t.profile {
	case lagging:
		p = 0.4 * d.expected(d.publish, t.deadline, day)
	case stalled:
		p = math.Min(d.expected(d.publish, t.deadline.AddDate(0, 2, 0), day.AddDate(0, 0, 25)), 70)
	default:
		p = d.expected(d.publish, t.finish, day.AddDate(0, 0, 25)) + float64(t.seq%3)
	}
	p = math.Round(p/5) * 5
	return math.Max(math.Min(p, 95), math.Max(t.last, 5))
}

// timeline plans the year's events up to now.
func (d *planDemo) timeline(ctx context.Context) ([]event, error) {
	var events []event
	on := func(t time.Time, run func(ctx context.Context) error) {
		if !t.After(d.now) {
			events = append(events, event{at: t, seq: len(events), run: run})
		}
	}
	pub := d.clamp(at(d.publish, 9, 30))
	events = append(events, event{at: pub, seq: -1, run: func(ctx context.Context) error {
		_, rep, err := plan.PublishPlan(as(ctx, d.office), d.db, d.office, d.plan.ID)
		if err == nil && len(rep.NotReady) > 0 {
			err = fmt.Errorf("tasks not ready: %+v", rep.NotReady)
		}
		return err
	}})

	for _, t := range d.tasks {
		t := t
		// The department signs for its task within three working days.
		on(at(d.cal.AddWorkdays(d.publish, 1+t.seq%3), 10, t.seq), func(ctx context.Context) error {
			_, err := plan.SignTask(as(ctx, t.owner), d.db, t.owner, t.id)
			return err
		})
		if t.profile == measured {
			continue
		}
		// A report each month, on one of the first working days, from the
		// first month that began after the plan was issued.
		for m := monthStart(d.publish).AddDate(0, 1, 0); !m.After(d.today); m = m.AddDate(0, 1, 0) {
			day := d.cal.AddWorkdays(m.AddDate(0, 0, -1), 1+t.seq%3)
			if !day.Before(t.finish) {
				break
			}
			if t.profile == missed && m.Equal(monthStart(d.today)) {
				continue
			}
			on(at(day, 9+t.seq%7, t.seq), func(ctx context.Context) error { return d.report(ctx, t, day, false) })
		}
		if !t.finish.After(d.today) {
			on(at(t.finish, 16, t.seq), func(ctx context.Context) error { return d.report(ctx, t, t.finish, true) })
		}
	}

	// The office recomputes every light at each month's end.
	for m := monthStart(d.publish).AddDate(0, 1, 0); m.Before(d.today); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 0, -1)
		if end.Before(d.publish) {
			continue
		}
		on(at(end, 22, 0), func(ctx context.Context) error {
			_, err := plan.Recompute(ctx, d.db, end)
			return err
		})
	}

	if err := d.licences(ctx); err != nil {
		return nil, err
	}
	events = append(events, d.inspection()...)
	events = append(events, d.bulletins(len(events))...)
	return events, nil
}

func monthStart(day time.Time) time.Time {
	y, m, _ := day.In(workday.Shanghai).Date()
	return workday.Date(y, m, 1)
}

// report files a task's progress report of day; done reports 100.
func (d *planDemo) report(ctx context.Context, t *liveTask, day time.Time, done bool) error {
	if t.done {
		return nil
	}
	in := plan.ReportInput{Note: t.doing}
	switch {
	case done:
		in.Percent, in.Note = 100, t.result
	case t.revised:
		in.Percent, in.Note = t.last+5, t.doing+"，按整改方案推进"
	default:
		in.Percent = d.percent(t, day)
		switch {
		case t.last == 0:
			in.Note = "已签收并制定实施方案，" + t.doing
		case t.profile == lagging:
			in.Note = t.doing + "，因人手不足进度滞后"
		case t.profile == stalled && in.Percent <= t.last:
			in.Note = t.doing + "，部分工作尚未完成"
		}
	}
	if _, err := plan.ReportProgress(as(ctx, t.owner), d.db, t.owner, t.id, in); err != nil {
		return fmt.Errorf("report on %s: %w", t.title, err)
	}
	t.last, t.done = in.Percent, done
	return nil
}

// licences issues this year's food business licences behind the measured
// tasks: renewals for enterprises that hold one, spread over the months so
// far and on schedule for the year's target, so the counts (and the
// measured progress) grow month by month.
func (d *planDemo) licences(ctx context.Context) error {
	var goal float64
	for _, t := range d.tasks {
		if t.measure == registry.MeasureLicencesIssued {
			goal = t.goal
		}
	}
	span := d.today.Sub(d.publish).Hours() / 24
	year := workday.Date(d.year, time.December, 31).Sub(d.publish).Hours() / 24
	n := int(math.Round(goal * span / year))
	if n == 0 {
		return nil
	}
	lics, _, err := registry.ListLicences(ctx, d.db, d.office, registry.LicenceFilter{Kind: registry.KindJY, Today: d.now, Limit: 500})
	if err != nil {
		return err
	}
	own, err := auth.UserByUsername(ctx, d.db, "enterprise")
	if err != nil {
		return err
	}
	ctx = as(ctx, d.office)
	seen := map[string]bool{own.EnterpriseID: true}
	k := 0
	for _, l := range lics {
		if k == n {
			break
		}
		if seen[l.EnterpriseID] {
			continue
		}
		seen[l.EnterpriseID] = true
		from := d.publish.AddDate(0, 0, int(math.Round((float64(k)+0.5)*span/float64(n))))
		if from.After(d.today) {
			from = d.today
		}
		_, err := registry.CreateLicence(ctx, d.db, d.office, registry.LicenceInput{EnterpriseID: l.EnterpriseID,
			Kind: registry.KindJY, Number: fmt.Sprintf("JY1%s%06d%d", Region, 900001+k, k%10), Issuer: issuer,
			Scope: scopeFor(registry.KindJY), ValidFrom: workday.FormatDate(from),
			ValidTo: workday.FormatDate(from.AddDate(5, 0, -1))})
		if err != nil {
			return fmt.Errorf("demo renewal for %s: %w", l.EnterpriseName, err)
		}
		k++
	}
	return nil
}

// inspection is the office's latest visit (定期督查) to the department of
// the inspected task, a couple of weeks ago: it checks that task and one
// drawn at random, finds the progress reported overstated, and demands a
// rectification that is still open today; the department answers with a
// revised report (with its reason) and a follow-up note.
func (d *planDemo) inspection() []event {
	var task *liveTask
	for _, t := range d.tasks {
		if t.title == inspectedTask {
			task = t
		}
	}
	// A couple of weeks ago; but when the department's revised report
	// would then fall in last month, two working days ago, so that what the
	// visit changed shows in this month's light (behind in two periods in a
	// row is red already).
	visit := d.cal.AddWorkdays(d.today, -8)
	if d.cal.AddWorkdays(visit, 2).Before(monthStart(d.today)) {
		visit = d.cal.AddWorkdays(d.today, -2)
	}
	if visit.Before(d.publish) {
		visit = d.today
	}
	// Planned a week ahead, or right after the plan is issued when it is
	// younger than that.
	issued := d.clamp(at(d.publish, 9, 30))
	planned := at(d.cal.AddWorkdays(visit, -5), 15, 0)
	if !planned.After(issued) {
		planned = issued.Add(time.Minute)
	}
	visitAt := at(visit, 9, 0)
	if !visitAt.After(planned) {
		visitAt = planned.Add(time.Minute)
	}
	revised := d.cal.AddWorkdays(visit, 2)
	if revised.After(d.today) {
		revised = d.today
	}
	revisedAt := at(revised, 10, 0)
	if !revisedAt.After(visitAt) {
		revisedAt = visitAt.Add(time.Minute)
	}
	var ins *plan.Inspection
	var events []event
	step := func(t time.Time, run func(ctx context.Context) error) {
		t = d.clamp(t)
		events = append(events, event{at: t, seq: 1_000_000 + len(events), run: run})
	}
	quarter := []string{"一", "二", "三", "四"}[(int(visit.Month())-1)/3]
	step(planned, func(ctx context.Context) error {
		var err error
		ins, err = plan.CreateInspection(as(ctx, d.office), d.db, d.office, plan.InspectionInput{PlanID: d.plan.ID,
			Title: "第" + quarter + "季度定期督查：工程质量责任落实", Kind: plan.InspectionScheduled,
			DepartmentID: task.owner.DepartmentID, VisitDate: workday.FormatDate(visit),
			Notes: "查阅任务台账，实地抽查在建项目；另随机抽取1项在办任务"})
		return err
	})
	step(visitAt, func(ctx context.Context) error {
		ctx = as(ctx, d.office)
		if _, err := plan.AddInspectionTasks(ctx, d.db, d.office, ins.ID, []string{task.id}); err != nil {
			return err
		}
		open, _, err := plan.ListTasks(ctx, d.db, d.office, plan.Filter{PlanID: d.plan.ID, DepartmentID: task.owner.DepartmentID,
			Status: "open", Limit: plan.MaxLimit})
		if err != nil {
			return err
		}
		others := 0
		for _, o := range open {
			if o.ID != task.id {
				others++
			}
		}
		if others > 0 {
			if _, err := plan.DrawInspectionTasks(ctx, d.db, d.office, ins.ID, 1); err != nil {
				return err
			}
		}
		f, err := plan.RecordFinding(ctx, d.db, d.office, ins.ID, plan.FindingInput{TaskID: task.id, Severity: plan.SeverityNormal,
			Content: "抽查3个在建项目，1个未在施工现场公示五方责任主体信息，2个质量终身责任承诺书签署不全；报送进度与实际不符。"})
		if err != nil {
			return err
		}
		deadline := d.cal.AddWorkdays(visit, 15)
		if earliest := d.today.AddDate(0, 0, 7); deadline.Before(earliest) {
			deadline = d.cal.RollForward(earliest)
		}
		if _, err := plan.DemandRectification(ctx, d.db, d.office, f.ID, plan.RectificationInput{
			Demand:   "对全旗在建项目逐一核查，补齐五方责任主体公示牌和质量终身责任承诺书，如实报送任务进度",
			Deadline: workday.FormatDate(deadline)}); err != nil {
			return err
		}
		_, err = plan.CompleteInspection(ctx, d.db, d.office, ins.ID)
		return err
	})
	// The department revises its progress to what the visit found.
	if !task.finish.Before(revised) {
		step(revisedAt, func(ctx context.Context) error {
			p := math.Max(5, math.Round((d.expected(d.publish, task.deadline, d.today)-18)/5)*5)
			in := plan.ReportInput{Percent: p, Note: "按督查意见核实在建项目，如实核减进度"}
			if p < task.last {
				in.Reason = "督查发现部分项目责任主体信息未公示、承诺书签署不全，按实际核减"
			}
			if _, err := plan.ReportProgress(as(ctx, task.owner), d.db, task.owner, task.id, in); err != nil {
				return fmt.Errorf("revised report: %w", err)
			}
			task.last, task.revised = p, true
			return nil
		})
	}
	if day := d.cal.AddWorkdays(visit, 3); !day.After(d.today) {
		step(at(day, 11, 0), func(ctx context.Context) error {
			rs, err := plan.ListRectifications(ctx, d.db, task.owner, plan.RectificationFilter{InspectionID: ins.ID})
			if err != nil || len(rs) == 0 {
				return fmt.Errorf("the demanded rectification: %d, %v", len(rs), err)
			}
			_, err = plan.AddRectificationUpdate(as(ctx, task.owner), d.db, task.owner, rs[0].ID, plan.RectificationUpdateInput{
				Kind: plan.UpdateNote, Note: "已制定整改方案，正在对在建项目逐一核查，预计按期完成"})
			return err
		})
	}
	return events
}

// bulletins are the office's quarterly progress bulletins (定期通报) for
// the quarters over by now, each issued a week or so after its quarter.
func (d *planDemo) bulletins(base int) []event {
	var events []event
	n := 0
	for q := 1; q <= 4; q++ {
		from := workday.Date(d.year, time.Month(3*q-2), 1)
		to := from.AddDate(0, 3, -1)
		issued := d.cal.AddWorkdays(to, 6)
		if issued.After(d.today) || to.Before(d.publish) {
			continue
		}
		n++
		number := n
		events = append(events, event{at: at(issued, 10, 0), seq: base + q, run: func(ctx context.Context) error {
			ctx = as(ctx, d.office)
			b, err := plan.GenerateBulletin(ctx, d.db, d.office, plan.BulletinInput{PlanID: d.plan.ID,
				From: workday.FormatDate(from), To: workday.FormatDate(to),
				DocNumber: fmt.Sprintf("额质强办〔%d〕%d号", d.year, number)})
			if err != nil {
				return fmt.Errorf("bulletin: %w", err)
			}
			_, err = plan.PublishBulletin(ctx, d.db, d.office, b.ID)
			return err
		}})
	}
	return events
}
