package registry

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/width"
)

// GB 2312 orders its 3,755 level-1 characters by pinyin, so the first
// character of each initial's run is enough to give any of them its initial
// without a dictionary module. Each entry is the GB 2312 code (high byte × 256
// + low byte) at which a letter's run starts.
var gb2312Initials = []struct {
	start  int
	letter byte
}{
	{0xB0A1, 'a'}, {0xB0C5, 'b'}, {0xB2C1, 'c'}, {0xB4EE, 'd'}, {0xB6EA, 'e'},
	{0xB7A2, 'f'}, {0xB8C1, 'g'}, {0xB9FE, 'h'}, {0xBBF7, 'j'}, {0xBFA6, 'k'},
	{0xC0AC, 'l'}, {0xC2E8, 'm'}, {0xC4C3, 'n'}, {0xC5B6, 'o'}, {0xC5BE, 'p'},
	{0xC6DA, 'q'}, {0xC8BB, 'r'}, {0xC8F6, 's'}, {0xCBFA, 't'}, {0xCDDA, 'w'},
	{0xCEF4, 'x'}, {0xD1B9, 'y'}, {0xD4D1, 'z'},
}

const gb2312Level1End = 0xD7F9

// Level-2 and non-GB 2312 characters are ordered by radical, not sound; these
// are the ones that turn up in business and place names often enough to be
// worth listing (the banner's Mongolian place names included).
var extraInitials = map[rune]byte{
	'鑫': 'x', '淼': 'm', '焱': 'y', '垚': 'y', '犇': 'b', '骉': 'b', '昊': 'h', '晟': 's',
	'琦': 'q', '玥': 'y', '珑': 'l', '璟': 'j', '煜': 'y', '祺': 'q', '禧': 'x', '钰': 'y',
	'泓': 'h', '沣': 'f', '霖': 'l', '烨': 'y', '熠': 'y', '灏': 'h', '岚': 'l', '瀚': 'h',
	'赟': 'y', '铠': 'k', '钜': 'j', '翊': 'y', '睿': 'r', '玺': 'x', '璞': 'p', '珈': 'j',
	'琪': 'q', '瑾': 'j', '璐': 'l', '钧': 'j', '桦': 'h', '楠': 'n', '梓': 'z', '榕': 'r',
	'鬃': 'z', '嘎': 'g', '噶': 'g', '旻': 'm', '昕': 'x', '曦': 'x', '皓': 'h', '喆': 'z',
	'堃': 'k', '坤': 'k', '骐': 'q', '骅': 'h', '驿': 'y', '滢': 'y', '潇': 'x', '沅': 'y',
	'浚': 'j', '淇': 'q', '琛': 'c', '瑄': 'x', '瑛': 'y', '瑜': 'y', '珂': 'k', '珏': 'j',
	'邦': 'b', '氹': 'd', '芃': 'p', '苁': 'c', '荟': 'h', '莜': 'y', '菁': 'j', '萃': 'c',
	'蓿': 'x', '苜': 'm', '驼': 't', '沬': 'm', '阖': 'h', '祎': 'y', '禾': 'h', '稞': 'k',
	'粢': 'z', '糌': 'z', '粑': 'b', '酩': 'm', '酪': 'l', '馕': 'n', '涮': 's',
}

var (
	initialsOnce sync.Once
	initialsMap  map[rune]byte
)

// buildInitials decodes every level-1 GB 2312 character once and files it
// under its letter.
func buildInitials() {
	m := make(map[rune]byte, 4000)
	dec := simplifiedchinese.GBK.NewDecoder()
	buf := []byte{0, 0}
	for i, run := range gb2312Initials {
		end := gb2312Level1End
		if i+1 < len(gb2312Initials) {
			end = gb2312Initials[i+1].start - 1
		}
		for code := run.start; code <= end; code++ {
			lo := code & 0xFF
			if lo < 0xA1 || lo > 0xFE {
				continue
			}
			buf[0], buf[1] = byte(code>>8), byte(lo)
			out, err := dec.Bytes(buf)
			if err != nil {
				continue
			}
			r := []rune(string(out))
			if len(r) == 1 && r[0] != unicode.ReplacementChar {
				m[r[0]] = run.letter
			}
		}
	}
	for r, l := range extraInitials {
		if _, ok := m[r]; !ok {
			m[r] = l
		}
	}
	initialsMap = m
}

// PinyinInitials returns the pinyin initial of each Han character in s
// (letters and digits pass through in lower case, other characters are
// dropped). Rare characters outside the table are skipped.
func PinyinInitials(s string) string {
	initialsOnce.Do(buildInitials)
	var b strings.Builder
	for _, r := range foldText(s) {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case r >= 0x80:
			if l, ok := initialsMap[r]; ok {
				b.WriteByte(l)
			}
		}
	}
	return b.String()
}

// foldText makes text comparable however it was typed: full-width letters,
// digits and spaces become ASCII, letters lower-case, and runs of white space
// one space.
func foldText(s string) string {
	s = strings.ToLower(width.Fold.String(s))
	return strings.Join(strings.Fields(s), " ")
}

// keySep separates the initials from the name inside a search key; queries
// have it removed so a match cannot straddle the two.
const keySep = "|"

// SearchKey is the stored, searchable and sortable form of a name: its pinyin
// initials (so that a list sorted by the key runs roughly in pinyin order and
// "alszq" finds 阿拉善左旗…) followed by the folded name.
func SearchKey(name string) string {
	n := strings.ReplaceAll(foldText(name), keySep, " ")
	return PinyinInitials(name) + keySep + n
}

// searchPattern turns a user's query into a LIKE pattern (with '\' as the
// escape character) that finds it anywhere in a search key, or "" when the
// query is empty.
func searchPattern(q string) string {
	q = strings.TrimSpace(strings.ReplaceAll(foldText(q), keySep, " "))
	if q == "" {
		return ""
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}
