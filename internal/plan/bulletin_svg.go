package plan

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Kinds of bulletin chart.
const (
	ChartDepartments = "departments" // progress by department, horizontal bars
	ChartTrend       = "trend"       // overall progress at each month's end, a line
)

const svgFont = `font-family="'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif"`

// BulletinChartSVG draws one of a bulletin's charts as a small standalone
// SVG for the printed page, which must render without script: kind
// "departments" (a bar per department, its mean progress) or "trend" (the
// overall progress at each month's end). It returns nil for any other kind
// or a bulletin without figures.
func BulletinChartSVG(b *Bulletin, kind string, lang string) []byte {
	if b == nil || b.Data == nil {
		return nil
	}
	switch kind {
	case ChartDepartments:
		return departmentBars(b.Data, lang)
	case ChartTrend:
		return trendLine(b.Data, lang)
	}
	return nil
}

func svgEsc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func svgNum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// svgClip shortens a label to about n display columns (a CJK character
// counts two).
func svgClip(s string, n int) string {
	w := 0
	for i, r := range s {
		cw := 1
		if r >= 0x1100 {
			cw = 2
		}
		if w+cw > n {
			return s[:i] + "…"
		}
		w += cw
	}
	return s
}

func departmentBars(d *BulletinData, lang string) []byte {
	const (
		width, labelW, barW, rowH, top = 640.0, 170.0, 400.0, 24.0, 40.0
	)
	height := top + rowH*float64(len(d.Departments)) + 28
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" %s font-size="12" role="img">`,
		svgNum(width), svgNum(height), svgNum(width), svgNum(height), svgFont)
	title := bText(lang, "各单位任务完成进度（%）", "Progress by department (%)")
	fmt.Fprintf(&b, `<title>%s</title>`, svgEsc(title))
	fmt.Fprintf(&b, `<text x="%s" y="20" font-size="14" font-weight="bold" text-anchor="middle">%s</text>`, svgNum(width/2), svgEsc(title))
	// Grid at 0, 25, 50, 75 and 100 per cent.
	for i := 0; i <= 4; i++ {
		x := labelW + barW*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ccc" stroke-width="0.5"/>`,
			svgNum(x), svgNum(top-4), svgNum(x), svgNum(height-24))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#555">%d</text>`, svgNum(x), svgNum(height-10), i*25)
	}
	for i, dep := range d.Departments {
		y := top + rowH*float64(i)
		fill := "#2f6fb0"
		switch {
		case dep.Red > 0:
			fill = "#c0392b"
		case dep.Yellow > 0:
			fill = "#d4a017"
		}
		w := barW * min(max(dep.Progress, 0), 100) / 100
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, svgNum(labelW-6), svgNum(y+rowH/2+4),
			svgEsc(svgClip(dep.DisplayName(lang), 26)))
		fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
			svgNum(labelW), svgNum(y+4), svgNum(w), svgNum(rowH-8), fill,
			svgEsc(fmt.Sprintf("%s: %s%%", dep.DisplayName(lang), svgNum(dep.Progress))))
		fmt.Fprintf(&b, `<text x="%s" y="%s">%s%%</text>`, svgNum(labelW+w+4), svgNum(y+rowH/2+4), svgNum(dep.Progress))
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}

func trendLine(d *BulletinData, lang string) []byte {
	const (
		width, height, left, right, top, bottom = 640.0, 300.0, 48.0, 20.0, 40.0, 40.0
	)
	plotW, plotH := width-left-right, height-top-bottom
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" %s font-size="12" role="img">`,
		svgNum(width), svgNum(height), svgNum(width), svgNum(height), svgFont)
	title := bText(lang, "全年任务完成进度走势（%）", "Overall progress over the year (%)")
	fmt.Fprintf(&b, `<title>%s</title>`, svgEsc(title))
	fmt.Fprintf(&b, `<text x="%s" y="20" font-size="14" font-weight="bold" text-anchor="middle">%s</text>`, svgNum(width/2), svgEsc(title))
	for i := 0; i <= 4; i++ {
		y := top + plotH - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ccc" stroke-width="0.5"/>`,
			svgNum(left), svgNum(y), svgNum(width-right), svgNum(y))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#555">%d</text>`, svgNum(left-6), svgNum(y+4), i*25)
	}
	n := len(d.Trend)
	xAt := func(i int) float64 {
		if n <= 1 {
			return left + plotW/2
		}
		return left + plotW*float64(i)/float64(n-1)
	}
	yAt := func(v float64) float64 { return top + plotH - plotH*min(max(v, 0), 100)/100 }
	if n > 0 {
		b.WriteString(`<polyline class="line" fill="none" stroke="#2f6fb0" stroke-width="2" points="`)
		for i, p := range d.Trend {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(svgNum(xAt(i)) + "," + svgNum(yAt(p.Progress)))
		}
		b.WriteString(`"/>`)
	}
	for i, p := range d.Trend {
		x, y := xAt(i), yAt(p.Progress)
		fmt.Fprintf(&b, `<circle class="point" cx="%s" cy="%s" r="3" fill="#2f6fb0"><title>%s</title></circle>`,
			svgNum(x), svgNum(y), svgEsc(p.Day+": "+svgNum(p.Progress)+"%"))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" font-size="10">%s</text>`, svgNum(x), svgNum(y-7), svgNum(p.Progress))
		label := trendLabel(p.Day, lang)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#555">%s</text>`, svgNum(x), svgNum(height-bottom+16), svgEsc(label))
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}

// trendLabel labels a point by its month ("3月", "Mar"), or by month and
// day for a period that ends inside a month.
func trendLabel(day, lang string) string {
	if utf8.RuneCountInString(day) != 10 {
		return day
	}
	m, err1 := strconv.Atoi(day[5:7])
	dd, err2 := strconv.Atoi(day[8:10])
	if err1 != nil || err2 != nil || m < 1 || m > 12 {
		return day
	}
	t, err := parseDay(day)
	last := err == nil && t.AddDate(0, 0, 1).Day() == 1
	months := [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	switch {
	case isEn(lang) && last:
		return months[m-1]
	case isEn(lang):
		return fmt.Sprintf("%s %d", months[m-1], dd)
	case last:
		return fmt.Sprintf("%d月", m)
	}
	return fmt.Sprintf("%d月%d日", m, dd)
}

func parseDay(day string) (time.Time, error) { return workday.ParseDate(day) }
