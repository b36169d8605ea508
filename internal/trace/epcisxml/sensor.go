package epcisxml

import (
	"encoding/json"
	"regexp"
	"strings"
)

// XML carries sensor data as attributes of <sensorMetadata> and
// <sensorReport>; JSON as properties of the same names, numbers as numbers.
var (
	sensorMetadataAttrs = []string{
		"time", "deviceID", "deviceMetadata", "rawData", "startTime", "endTime",
		"bizRules", "dataProcessingMethod",
	}
	sensorReportStrings = []string{
		"stringValue", "hexBinaryValue", "uriValue", "uom", "chemicalSubstance",
		"microorganism", "deviceID", "deviceMetadata", "rawData", "time",
		"dataProcessingMethod", "bizRules", "coordinateReferenceSystem",
	}
	sensorReportNumbers = []string{
		"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue",
	}
)

func (c *conv) sensorElementList(n *node) []any {
	list := []any{}
	for _, k := range n.kids {
		if k.std() && k.local == "sensorElement" {
			list = append(list, c.sensorElement(k))
		} else {
			c.unknown(k)
		}
	}
	return list
}

func (c *conv) sensorElement(n *node) map[string]any {
	se := map[string]any{}
	c.sensorElementInto(n, se)
	return se
}

func (c *conv) sensorElementInto(n *node, se map[string]any) {
	for _, k := range n.kids {
		switch {
		case isUser(k.space):
			c.putExt(se, k)
		case !k.std():
			c.unknown(k)
		case k.local == "sensorMetadata":
			se[k.local] = c.sensorMetadata(k)
		case k.local == "sensorReport":
			list, _ := se[k.local].([]any)
			se[k.local] = append(list, c.sensorReport(k))
		case k.local == "extension":
			c.sensorElementInto(k, se)
		default:
			c.unknown(k)
		}
	}
}

func (c *conv) sensorMetadata(n *node) map[string]any {
	m := map[string]any{}
	for _, a := range n.attrs {
		if a.space == "" && contains(sensorMetadataAttrs, a.local) {
			m[a.local] = a.value
		}
	}
	c.userAttrs(n, m, sensorMetadataAttrs...)
	for _, k := range n.kids {
		c.unknown(k)
	}
	return m
}

func (c *conv) sensorReport(n *node) map[string]any {
	m := map[string]any{}
	known := append(append([]string{"type", "exception", "component", "booleanValue"},
		sensorReportStrings...), sensorReportNumbers...)
	for _, a := range n.attrs {
		if a.space != "" {
			continue
		}
		switch {
		case a.local == "type":
			m[a.local] = measurementTypeVocab.word(a.value, n.scope)
		case a.local == "exception":
			m[a.local] = sensorAlertVocab.word(a.value, n.scope)
		case a.local == "component":
			m[a.local] = componentVocab.word(a.value, n.scope)
		case a.local == "booleanValue":
			if b, ok := c.boolean(n, a.value); ok {
				m[a.local] = b
			}
		case contains(sensorReportNumbers, a.local):
			if num, ok := c.number(n, a.value); ok {
				m[a.local] = num
			}
		case contains(sensorReportStrings, a.local):
			m[a.local] = a.value
		}
	}
	c.userAttrs(n, m, known...)
	for _, k := range n.kids {
		c.unknown(k)
	}
	return m
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// number turns an xsd:decimal or xsd:double lexical form into a JSON number.
// XML allows spellings JSON does not ("+1", ".5", "5.", "007"); they are
// rewritten, keeping the digits, so the value is unchanged. INF and NaN have
// no JSON form and are refused.
func (c *conv) number(n *node, s string) (json.Number, bool) {
	v := strings.TrimSpace(s)
	neg := false
	switch {
	case strings.HasPrefix(v, "+"):
		v = v[1:]
	case strings.HasPrefix(v, "-"):
		neg, v = true, v[1:]
	}
	if v == "" {
		c.errs.Add(n.path(), RuleNumber, "value", s)
		return "", false
	}
	mant, exp := v, ""
	if i := strings.IndexAny(v, "eE"); i >= 0 {
		mant, exp = v[:i], v[i:]
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if hasDot && frac == "" && intPart != "" {
		hasDot = false // "5." is 5
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if hasDot {
		out += "." + frac
	}
	out += exp
	if neg {
		out = "-" + out
	}
	if !jsonNumber.MatchString(out) {
		c.errs.Add(n.path(), RuleNumber, "value", s)
		return "", false
	}
	return json.Number(out), true
}

func (c *conv) boolean(n *node, s string) (bool, bool) {
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	c.errs.Add(n.path(), RuleBoolean, "value", s)
	return false, false
}
