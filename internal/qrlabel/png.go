package qrlabel

import (
	"image"
	"image/color"
	"image/png"
	"io"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The PNG's lines are set in the 7×13 bitmap font of x/image (ASCII, which is
// all a GS1 human-readable line holds), enlarged by whole pixels so they stay
// sharp on a label printer.
const (
	glyphW = 7
	glyphH = 13
	// lineGap is the space between lines, and above the first, in font pixels.
	lineGap = 3
)

// PNGLayout is the geometry of a label drawn at a scale.
type PNGLayout struct {
	// Scale is pixels per module.
	Scale int
	// Code is the square of the symbol with its quiet zone, at the top,
	// centred across the width.
	Code image.Rectangle
	// TextScale is how many pixels each font pixel takes.
	TextScale int
	// Width, Height are the size of the whole image.
	Width, Height int
}

// Layout works out where things go: the code with its quiet zone on top, the
// lines centred under it. Text is enlarged as far as the longest line still
// fits the code's width; a line too long even at one pixel widens the image.
func (l Label) Layout(c *Code, scale int) PNGLayout {
	scale = max(scale, 1)
	side := (c.Size() + 2*QuietZone) * scale
	longest := 0
	for _, s := range l.Lines {
		longest = max(longest, len(s))
	}
	ts := max(1, scale/3)
	// A glyph's width of margin on either side of the longest line.
	if longest > 0 {
		ts = max(1, min(ts, side/(glyphW*(longest+2))))
	}
	width := max(side, (longest+2)*glyphW*ts)
	height := side
	if len(l.Lines) > 0 {
		// The lines start below the quiet zone, which must stay clear for
		// the scanner, and end half a quiet zone above the edge.
		height += len(l.Lines)*(glyphH+lineGap)*ts + QuietZone*scale/2
	}
	left := (width - side) / 2
	return PNGLayout{Scale: scale, Code: image.Rect(left, 0, left+side, side), TextScale: ts, Width: width, Height: height}
}

// PNG draws the label at scale pixels per module as a black-and-white PNG.
func (l Label) PNG(w io.Writer, scale int) error {
	c, err := Encode(l.Link)
	if err != nil {
		return err
	}
	return png.Encode(w, l.Image(c, scale))
}

// Image draws the label for an already encoded code.
func (l Label) Image(c *Code, scale int) *image.Paletted {
	lay := l.Layout(c, scale)
	pal := color.Palette{color.White, color.Black}
	img := image.NewPaletted(image.Rect(0, 0, lay.Width, lay.Height), pal) // index 0: white
	s := lay.Scale
	ox, oy := lay.Code.Min.X+QuietZone*s, lay.Code.Min.Y+QuietZone*s
	for y := 0; y < c.Size(); y++ {
		for x := 0; x < c.Size(); x++ {
			if !c.Dark(x, y) {
				continue
			}
			for py := oy + y*s; py < oy+(y+1)*s; py++ {
				row := img.Pix[py*img.Stride:]
				for px := ox + x*s; px < ox+(x+1)*s; px++ {
					row[px] = 1
				}
			}
		}
	}
	top := lay.Code.Max.Y
	for i, line := range l.Lines {
		y := top + (i*(glyphH+lineGap)+lineGap)*lay.TextScale
		x := (lay.Width - len(line)*glyphW*lay.TextScale) / 2
		drawText(img, line, x, y, lay.TextScale)
	}
	return img
}

// drawText sets s in the bitmap font with its top-left corner at (x, y),
// each font pixel drawn as a ts×ts square.
func drawText(dst *image.Paletted, s string, x, y, ts int) {
	small := image.NewAlpha(image.Rect(0, 0, len(s)*glyphW, glyphH))
	d := font.Drawer{Dst: small, Src: image.Opaque, Face: basicfont.Face7x13,
		Dot: fixed.P(0, basicfont.Face7x13.Ascent)}
	d.DrawString(s)
	b := dst.Bounds()
	for sy := 0; sy < glyphH; sy++ {
		for sx := 0; sx < small.Rect.Dx(); sx++ {
			if small.AlphaAt(sx, sy).A < 128 {
				continue
			}
			for py := y + sy*ts; py < y+(sy+1)*ts; py++ {
				for px := x + sx*ts; px < x+(sx+1)*ts; px++ {
					if (image.Point{px, py}).In(b) {
						dst.SetColorIndex(px, py, 1)
					}
				}
			}
		}
	}
}
