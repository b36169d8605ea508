package epcisxml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// Message keys of the refusals Decode returns.
const (
	RuleMalformed        = "rule.epcis.xml.malformed"         // {detail}
	RuleRoot             = "rule.epcis.xml.root"              // {element}
	RuleUnknownElement   = "rule.epcis.xml.unknown_element"   // {element}
	RuleUnknownAttribute = "rule.epcis.xml.unknown_attribute" // {attribute}
	RuleNumber           = "rule.epcis.xml.number"            // {value}
	RuleBoolean          = "rule.epcis.xml.boolean"           // {value}
	RuleRepeated         = "rule.epcis.xml.repeated"          // {element}
)

// Error is Decode's refusal. Each entry's Field is the element path relative
// to the document element, e.g. "EPCISBody/EventList/ObjectEvent[3]/epcList".
// It unwraps to the fielderr.List, so fielderr.As finds the entries.
type Error struct {
	List fielderr.List
}

// Error names every path with its rule and the offending detail, e.g.
// "EPCISBody/EventList/ObjectEvent[3]/epcList: rule.epcis.xml.unknown_element (element=foo)".
func (e *Error) Error() string {
	parts := make([]string, len(e.List))
	for i, fe := range e.List {
		s := fe.Field + ": " + fe.Rule
		if len(fe.Params) > 0 {
			keys := make([]string, 0, len(fe.Params))
			for k := range fe.Params {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			kv := make([]string, len(keys))
			for j, k := range keys {
				kv[j] = fmt.Sprintf("%s=%v", k, fe.Params[k])
			}
			s += " (" + strings.Join(kv, ", ") + ")"
		}
		parts[i] = s
	}
	return "epcis xml: " + strings.Join(parts, "; ")
}

func (e *Error) Unwrap() error { return e.List }

func refuse(l fielderr.List) error {
	if len(l) == 0 {
		return nil
	}
	return &Error{List: l}
}

// syntaxError reports XML that cannot be read at all, at the innermost open
// element.
func syntaxError(at *node, err error) error {
	var se *xml.SyntaxError
	detail := err.Error()
	if errors.As(err, &se) {
		detail = se.Error()
	}
	field := at.path()
	if field == "" {
		field = "document"
	}
	var l fielderr.List
	l.Add(field, RuleMalformed, "detail", detail)
	return refuse(l)
}
