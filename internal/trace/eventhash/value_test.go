package eventhash

import "testing"

// The expectations are what Python gives for str(float(s)), with the
// integral values as str(int(...)), the way the reference implementation
// writes numbers.
func TestPyNumber(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1.0", "1"}, {"0.50", "0.5"}, {"+3", "3"}, {"1e3", "1000"}, {"1E2", "100"},
		{"0.00001", "1e-05"}, {"1.5e-7", "1.5e-07"}, {"-1e-10", "-1e-10"}, {"5e-324", "5e-324"},
		{"0.0001", "0.0001"}, {"-0.0", "0"}, {"1_000", "1000"}, {"1_0.2_5", "10.25"},
		{"1.", "1"}, {".5", "0.5"}, {"-12.5", "-12.5"}, {"123.456e1", "1234.56"},
		{"12345678901234567890", "12345678901234567168"}, {"1e23", "99999999999999991611392"},
		{"0614141", "614141"}, {"452.0", "452"}, {"12.10", "12.1"},
		// not numbers for Python's float(), or not finite
		{"1__0", ""}, {"_1", ""}, {"1_", ""}, {"abc", ""}, {"", ""}, {".", ""}, {"1e", ""},
		{"nan", ""}, {"inf", ""}, {"1e400", ""}, {"0x10", ""}, {"2019-10-21", ""}, {"+01:00", ""},
	} {
		got, ok := pyNumber(c.in)
		if !ok {
			got = ""
		}
		if got != c.want {
			t.Errorf("pyNumber(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCanonicalTime(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2020-03-04T11:00:30+01:00", "2020-03-04T10:00:30.000Z"},
		{"2005-04-03T20:33:31.116000-06:00", "2005-04-04T02:33:31.116Z"},
		{"2023-03-27T11:30:00.0Z", "2023-03-27T11:30:00.000Z"},
		{"2023-02-02T11:04:03.1415Z", "2023-02-02T11:04:03.142Z"},
		{"2023-02-02T11:04:03.1414999Z", "2023-02-02T11:04:03.141Z"},
		{"2023-02-02T11:04:03.1445Z", "2023-02-02T11:04:03.145Z"}, // half up, not to even
		{"2023-12-31T23:59:59.9995Z", "2024-01-01T00:00:00.000Z"}, // carries
		{"2023-02-02T11:04:03,5+0530", "2023-02-02T05:34:03.500Z"},
		{"2023-02-02T11:04:03+05", "2023-02-02T06:04:03.000Z"},
		{"2023-02-02 11:04:03Z", "2023-02-02T11:04:03.000Z"},
		{"2023-02-02T11:04Z", "2023-02-02T11:04:00.000Z"},
		{"2023-02-02T11:04:03", "2023-02-02T11:04:03.000Z"}, // no offset: UTC
		// not timestamps: unchanged
		{"2019-02-29T00:00:00Z", "2019-02-29T00:00:00Z"},
		{"2019-10-21", "2019-10-21"},
		{"2023-02-02T11:04:03.Z", "2023-02-02T11:04:03.Z"},
		{"2023-02-02T11:04:03+01:0", "2023-02-02T11:04:03+01:0"},
		{"yesterday", "yesterday"},
	} {
		if got := canonicalTime(c.in); got != c.want {
			t.Errorf("canonicalTime(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"urn:epcglobal:cbv:bizstep:receiving", "https://ref.gs1.org/cbv/BizStep-receiving"},
		{"urn:epcglobal:cbv:disp:in_transit", "https://ref.gs1.org/cbv/Disp-in_transit"},
		{"urn:epcglobal:cbv:btt:po", "https://ref.gs1.org/cbv/BTT-po"},
		{"urn:epcglobal:cbv:sdt:owning_party", "https://ref.gs1.org/cbv/SDT-owning_party"},
		{"urn:epcglobal:cbv:er:incorrect_data", "https://ref.gs1.org/cbv/ER-incorrect_data"},
		{"urn:epcglobal:cbv:bt:0614141073467:1152", "urn:epcglobal:cbv:bt:0614141073467:1152"},
		{"urn:epc:id:sgtin:4012345.011111.9876", "https://id.gs1.org/01/04012345111118/21/9876"},
		{"urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/00/040123450000003338"},
		{"urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"},
		{"urn:epc:class:lgtin:4012345.012345.Lot987", "https://id.gs1.org/01/04012345123456/10/Lot987"},
		{"https://example.com/01/09780345418913/21/765tz?abc=211121", "https://id.gs1.org/01/09780345418913/21/765tz"},
		{"https://id.gs1.de/414/4012345000115", "https://id.gs1.org/414/4012345000115"},
		{"http://transaction.acme.com/po/12345678", "http://transaction.acme.com/po/12345678"},
		{"https://gs1.org/voc/Temperature", "https://gs1.org/voc/Temperature"},
		{"geo:47.506694,11.104301", "geo:47.506694,11.104301"},
		{"12.50", "12.5"},
		{"PO-4711", "PO-4711"},
	} {
		if got := canonical(c.in); got != c.want {
			t.Errorf("canonical(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestIsTimeName(t *testing.T) {
	for name, want := range map[string]bool{
		"eventTime": true, "time": true, "startTime": true, "endTime": true, "TIME": true,
		"eventTimeZoneOffset": false, "bizStep": false, "tim": false, "": false,
	} {
		if got := isTimeName(name); got != want {
			t.Errorf("isTimeName(%q) = %v, want %v", name, got, want)
		}
	}
}
