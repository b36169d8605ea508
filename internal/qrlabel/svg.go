package qrlabel

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// SVG draws the label as a standalone SVG document whose user unit is one
// module: the dark modules as one path (each row's runs as rectangles), the
// lines as centred monospace text under the code. It scales to any print
// size without losing the module edges.
func (l Label) SVG(w io.Writer) error {
	c, err := Encode(l.Link)
	if err != nil {
		return err
	}
	return l.WriteSVG(w, c)
}

// WriteSVG draws the label for an already encoded code.
func (l Label) WriteSVG(w io.Writer, c *Code) error {
	side := c.Size() + 2*QuietZone
	// Text a sixteenth of the code's width reads at arm's length on a
	// 3 cm label and still fits a 20-character lot on one line.
	fontSize := float64(side) / 16
	lineH := fontSize * 1.35
	height := float64(side)
	if len(l.Lines) > 0 {
		height += float64(len(l.Lines))*lineH + fontSize*0.6
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %s" width="%d" height="%s" shape-rendering="crispEdges">`+"\n",
		side, num(height), side*8, num(height*8))
	fmt.Fprintf(bw, `<title>%s</title>`+"\n", esc(l.Link))
	fmt.Fprintf(bw, `<rect width="%d" height="%s" fill="#fff"/>`+"\n", side, num(height))
	bw.WriteString(`<path fill="#000" d="`)
	for y := 0; y < c.Size(); y++ {
		for x := 0; x < c.Size(); {
			if !c.Dark(x, y) {
				x++
				continue
			}
			run := 1
			for c.Dark(x+run, y) {
				run++
			}
			fmt.Fprintf(bw, "M%d %dh%dv1h-%dz", x+QuietZone, y+QuietZone, run, run)
			x += run
		}
	}
	bw.WriteString(`"/>` + "\n")
	for i, line := range l.Lines {
		// y is the baseline: a line's height down, less the descent.
		y := float64(side) + float64(i+1)*lineH - fontSize*0.25
		fmt.Fprintf(bw, `<text x="%s" y="%s" font-family="'DejaVu Sans Mono', Consolas, monospace" font-size="%s" text-anchor="middle" fill="#000">%s</text>`+"\n",
			num(float64(side)/2), num(y), num(fontSize), esc(line))
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

// num writes a length with at most two decimals and no trailing zeros.
func num(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
