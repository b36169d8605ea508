package trace

import "strings"

// BareCBV turns a standard CBV value written as a URN
// (urn:epcglobal:cbv:bizstep:shipping) or Web URI
// (https://ref.gs1.org/cbv/BizStep-shipping) into the bare word JSON uses
// ("shipping"); other values are returned as they are.
func BareCBV(v string) string {
	if rest, ok := strings.CutPrefix(v, "urn:epcglobal:cbv:"); ok {
		if i := strings.IndexByte(rest, ':'); i >= 0 {
			return rest[i+1:]
		}
		return v
	}
	for _, p := range []string{"https://ref.gs1.org/cbv/", "https://gs1.org/voc/", "http://gs1.org/voc/"} {
		if rest, ok := strings.CutPrefix(v, p); ok {
			if i := strings.IndexByte(rest, '-'); i >= 0 {
				return rest[i+1:]
			}
		}
	}
	return v
}
