package qrlabel_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"

	"github.com/hallmark-platform/hallmark/internal/qrlabel"
)

// Links of the lengths labels carry: a lot, a serial with characters that
// must be escaped in a URI and in XML, and a product.
var links = []string{
	"https://trace.example.cn/01/06901234567892/10/LOT-2026-001",
	"https://trace.example.cn/01/06901234567892/21/A%26B%2F7?17=261231&x=<y>",
	"http://127.0.0.1:8080/01/00012345678905",
}

// The three finder patterns sit in the corners in ISO/IEC 18004's shape: a
// dark 7×7 ring, a light ring, a dark 3×3 core; the separator around them
// is light. Checked from the matrix alone, this holds whatever library drew
// it, and fails for a transposed or shifted matrix.
func TestFinderPatterns(t *testing.T) {
	for _, link := range links {
		c, err := qrlabel.Encode(link)
		if err != nil {
			t.Fatal(err)
		}
		n := c.Size()
		if (n-17)%4 != 0 || n < 21 || n > 177 {
			t.Fatalf("%s: size %d is no QR version", link, n)
		}
		for _, o := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
			for dy := -1; dy <= 7; dy++ {
				for dx := -1; dx <= 7; dx++ {
					x, y := o[0]+dx, o[1]+dy
					if x < 0 || y < 0 || x >= n || y >= n {
						continue
					}
					ring := max(abs(dx-3), abs(dy-3))
					want := ring == 3 || ring <= 1
					if ring == 4 {
						want = false
					}
					if c.Dark(x, y) != want {
						t.Fatalf("%s: finder at %v: module (%d,%d) dark=%v", link, o, x, y, c.Dark(x, y))
					}
				}
			}
		}
		// Timing pattern: row 6 alternates between the finders.
		for x := 8; x < n-8; x++ {
			if c.Dark(x, 6) != (x%2 == 0) {
				t.Fatalf("%s: timing module (%d,6) wrong", link, x)
			}
		}
		if c.Dark(-1, 0) || c.Dark(n, n) {
			t.Fatal("the quiet zone is dark")
		}
	}
}

// The PNG is the code at the asked scale with its quiet zone, the lines
// under it, and it decodes back to the link.
func TestPNGDecodesToLink(t *testing.T) {
	for _, link := range links {
		for _, scale := range []int{3, 8} {
			l := qrlabel.Label{Link: link, Lines: []string{"(01) 06901234567892", "(10) LOT-2026-001"}}
			var buf bytes.Buffer
			if err := l.PNG(&buf, scale); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			c, _ := qrlabel.Encode(link)
			side := (c.Size() + 2*qrlabel.QuietZone) * scale
			b := img.Bounds()
			// At scale 8 the lines fit under the code; at 3 they widen the
			// image and the code is centred.
			left := (b.Dx() - side) / 2
			if scale == 8 && b.Dx() != side || b.Dx() < side {
				t.Errorf("%s ×%d: width %d, want %d", link, scale, b.Dx(), side)
			}
			if b.Dy() <= side {
				t.Errorf("%s ×%d: height %d leaves no room for the lines under a %d px code", link, scale, b.Dy(), side)
			}
			// Every module is a scale×scale square of its colour.
			q := qrlabel.QuietZone * scale
			for y := 0; y < c.Size(); y++ {
				for x := 0; x < c.Size(); x++ {
					for _, p := range [][2]int{{0, 0}, {scale - 1, scale - 1}} {
						if dark(img.At(left+q+x*scale+p[0], q+y*scale+p[1])) != c.Dark(x, y) {
							t.Fatalf("%s ×%d: pixel of module (%d,%d) wrong", link, scale, x, y)
						}
					}
				}
			}
			// The quiet zone is white all round.
			for i := 0; i < side; i++ {
				for _, p := range [][2]int{{i, 0}, {0, i}, {i, q - 1}, {i, side - 1}, {side - 1, i}} {
					if dark(img.At(left+p[0], p[1])) {
						t.Fatalf("%s ×%d: quiet zone pixel %v dark", link, scale, p)
					}
				}
			}
			// The text area has ink.
			ink := 0
			for y := side; y < b.Dy(); y++ {
				for x := 0; x < b.Dx(); x++ {
					if dark(img.At(x, y)) {
						ink++
					}
				}
			}
			if ink == 0 {
				t.Errorf("%s ×%d: no text under the code", link, scale)
			}
			got, err := goqr.Decode(cropCode(img, image.Rect(left, 0, left+side, side)))
			if err != nil {
				t.Fatalf("%s ×%d: decode: %v", link, scale, err)
			}
			if got != link {
				t.Errorf("decoded %q, want %q", got, link)
			}
		}
	}
}

// cropCode keeps the code and its quiet zone: the decoder looks for one
// symbol, not for a label with text under it.
func cropCode(img image.Image, r image.Rectangle) image.Image {
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}

func TestLabelWithoutLines(t *testing.T) {
	l := qrlabel.Label{Link: links[0]}
	c, _ := qrlabel.Encode(l.Link)
	img := l.Image(c, 4)
	side := (c.Size() + 2*qrlabel.QuietZone) * 4
	if img.Bounds().Dx() != side || img.Bounds().Dy() != side {
		t.Fatalf("bounds %v, want a %d px square", img.Bounds(), side)
	}
}

// A line longer than the code is wide makes the image wider, not cut off.
func TestLongLineWidensImage(t *testing.T) {
	l := qrlabel.Label{Link: "https://a.cn/01/00012345678905", Lines: []string{strings.Repeat("W", 60)}}
	c, _ := qrlabel.Encode(l.Link)
	lay := l.Layout(c, 1)
	if lay.Width < 60*7 {
		t.Fatalf("width %d cannot hold 60 glyphs", lay.Width)
	}
	img := l.Image(c, 1)
	got, err := goqr.Decode(img.SubImage(lay.Code))
	if err != nil || got != l.Link {
		t.Fatalf("decoded %q, %v", got, err)
	}
}

var moveRe = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// The SVG is well-formed XML whose path covers exactly the dark modules,
// and whose text elements carry the lines.
func TestSVGMatchesMatrix(t *testing.T) {
	for _, link := range links {
		lines := []string{"(01) 06901234567892", "(21) A&B/7 <x>"}
		l := qrlabel.Label{Link: link, Lines: lines}
		var buf bytes.Buffer
		if err := l.SVG(&buf); err != nil {
			t.Fatal(err)
		}
		c, _ := qrlabel.Encode(link)
		var d, title string
		var texts []string
		dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
		var stack []string
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: SVG is not well-formed: %v\n%s", link, err, buf.String())
			}
			switch tk := tok.(type) {
			case xml.StartElement:
				stack = append(stack, tk.Name.Local)
				if tk.Name.Local == "svg" && tk.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("svg namespace %q", tk.Name.Space)
				}
				if tk.Name.Local == "svg" {
					side := strconv.Itoa(c.Size() + 2*qrlabel.QuietZone)
					if vb := attr(tk, "viewBox"); !strings.HasPrefix(vb, "0 0 "+side+" ") {
						t.Errorf("viewBox %q, want width %s modules", vb, side)
					}
				}
				if tk.Name.Local == "path" {
					d = attr(tk, "d")
				}
				if tk.Name.Local == "text" {
					texts = append(texts, "")
				}
			case xml.CharData:
				if len(stack) == 0 {
					continue
				}
				switch stack[len(stack)-1] {
				case "text":
					texts[len(texts)-1] += string(tk)
				case "title":
					title += string(tk)
				}
			case xml.EndElement:
				stack = stack[:len(stack)-1]
			}
		}
		if title != link {
			t.Errorf("title %q, want the link", title)
		}
		if strings.Join(texts, "\n") != strings.Join(lines, "\n") {
			t.Errorf("texts %q, want %q", texts, lines)
		}
		n := c.Size()
		grid := make([]bool, n*n)
		for _, m := range moveRe.FindAllStringSubmatch(d, -1) {
			x, _ := strconv.Atoi(m[1])
			y, _ := strconv.Atoi(m[2])
			run, _ := strconv.Atoi(m[3])
			for i := 0; i < run; i++ {
				gx, gy := x+i-qrlabel.QuietZone, y-qrlabel.QuietZone
				if gx < 0 || gy < 0 || gx >= n || gy >= n || grid[gy*n+gx] {
					t.Fatalf("%s: path covers (%d,%d) outside the symbol or twice", link, gx, gy)
				}
				grid[gy*n+gx] = true
			}
		}
		if rest := moveRe.ReplaceAllString(d, ""); rest != "" {
			t.Fatalf("path has commands other than module runs: %q", rest)
		}
		img := image.NewGray(image.Rect(0, 0, (n+8)*4, (n+8)*4))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				if grid[y*n+x] != c.Dark(x, y) {
					t.Fatalf("%s: SVG module (%d,%d) differs from the matrix", link, x, y)
				}
				if grid[y*n+x] {
					for py := (y + 4) * 4; py < (y+5)*4; py++ {
						for px := (x + 4) * 4; px < (x+5)*4; px++ {
							img.Pix[py*img.Stride+px] = 0
						}
					}
				}
			}
		}
		// The drawing, rasterised, scans back to the link.
		if got, err := goqr.Decode(img); err != nil || got != link {
			t.Errorf("SVG raster decoded %q, %v", got, err)
		}
	}
}

func TestTooLong(t *testing.T) {
	_, err := qrlabel.Encode("https://a.cn/" + strings.Repeat("x", 3000))
	if !errors.Is(err, qrlabel.ErrTooLong) {
		t.Fatalf("err %v, want ErrTooLong", err)
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func dark(c color.Color) bool {
	g := color.GrayModel.Convert(c).(color.Gray)
	return g.Y < 128
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
