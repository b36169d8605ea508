// Package fielderr is how a domain package says which input field is wrong
// and which rule it breaks. Rules are message keys (see locales/), so the web
// layer can show the message beside the field in the user's language, and the
// API can list them in an RFC 9457 problem.
package fielderr

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Error is one bad field.
type Error struct {
	Field  string         // the input's name, e.g. "uscc"; "row 3 / USCC" style paths for imports
	Rule   string         // message key, e.g. "rule.required", "rule.uscc.checksum"
	Params map[string]any // values the message interpolates, e.g. {"max": 100}
}

// List is a set of bad fields; it is an error when non-empty.
type List []Error

func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Field + ": " + e.Rule
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add appends a bad field.
func (l *List) Add(field, rule string, params ...any) {
	e := Error{Field: field, Rule: rule}
	if len(params) > 0 {
		e.Params = map[string]any{}
		for i := 0; i+1 < len(params); i += 2 {
			if k, ok := params[i].(string); ok {
				e.Params[k] = params[i+1]
			}
		}
	}
	*l = append(*l, e)
}

// Has reports whether field already has an error.
func (l List) Has(field string) bool {
	for _, e := range l {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Err returns l as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// New returns a single-field error.
func New(field, rule string, params ...any) error {
	var l List
	l.Add(field, rule, params...)
	return l
}

// As extracts the field list from err.
func As(err error) (List, bool) {
	var l List
	if errors.As(err, &l) {
		return l, true
	}
	return nil, false
}

// ErrNotFound is returned by domain lookups for a missing row, or one the
// caller may not see (the two look the same from outside).
var ErrNotFound = errors.New("not found")

// ErrForbidden is returned when the caller may see an entity but not change it.
var ErrForbidden = errors.New("forbidden")

// CheckText adds rule.required for a missing required value and
// rule.max_length for one longer than max characters.
func CheckText(errs *List, field, v string, required bool, max int) {
	switch {
	case v == "" && required:
		errs.Add(field, "rule.required")
	case utf8.RuneCountInString(v) > max:
		errs.Add(field, "rule.max_length", "max", max)
	}
}
