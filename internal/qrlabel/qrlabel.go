// Package qrlabel draws QR code labels: the symbol, its quiet zone and the
// human-readable lines printed under it, as PNG or SVG.
//
// The QR symbol itself (data encoding, error correction, masking) comes from
// github.com/piglig/go-qr, a port of Nayuki's reference generator: MIT
// licensed, no dependencies of its own, maintained, and it hands out the
// module matrix, so both drawings here are made from that matrix rather than
// from the library's own renderers. That keeps the PNG and the SVG
// pixel-for-module identical and lets the label text sit under the code.
package qrlabel

import (
	"errors"

	goqr "github.com/piglig/go-qr"
)

// QuietZone is the light margin around the symbol, in modules, that ISO/IEC
// 18004 requires for a reliable scan.
const QuietZone = 4

// ErrTooLong is returned when the text does not fit in the largest symbol.
var ErrTooLong = errors.New("qrlabel: text too long for a QR code")

// Code is an encoded QR symbol: a square of dark and light modules.
type Code struct {
	Text string
	size int
	dark []bool // row by row
}

// Encode makes the smallest symbol holding text with error correction level
// Q (a quarter of the symbol may be lost: labels get scuffed, folded and
// wet); the level is raised further when the chosen version has room.
func Encode(text string) (*Code, error) {
	q, err := goqr.EncodeText(text, goqr.Quartile)
	if errors.Is(err, goqr.ErrDataTooLong) {
		return nil, ErrTooLong
	}
	if err != nil {
		return nil, err
	}
	n := q.Size()
	c := &Code{Text: text, size: n, dark: make([]bool, n*n)}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			c.dark[y*n+x] = q.Module(x, y)
		}
	}
	return c, nil
}

// Size is the side of the symbol in modules, without the quiet zone.
func (c *Code) Size() int { return c.size }

// Dark reports whether the module at column x, row y is dark; outside the
// symbol (the quiet zone) everything is light.
func (c *Code) Dark(x, y int) bool {
	return x >= 0 && y >= 0 && x < c.size && y < c.size && c.dark[y*c.size+x]
}

// Label is what one printed label shows.
type Label struct {
	// Link is the text the QR code carries.
	Link string
	// Lines are printed under the code, one per line (for a GS1 Digital
	// Link: the human-readable interpretation, "(01) 0690…", "(10) LOT").
	Lines []string
}
