package subscribe

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrNotPublic refuses a delivery to an address that is not on the public
// internet.
var ErrNotPublic = errors.New("subscribe: destination is not a public address")

// PublicClient is the delivery client a server uses: it connects only to
// public addresses, checked on the address actually dialled (after DNS), so
// that a subscriber cannot make the server post to itself, to its
// neighbours on a private network or to a cloud metadata service, whatever
// name it gives. Deployments that relay deliveries through this machine or
// an intranet pass a plain client instead.
func PublicClient() *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: refuseNonPublic}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = d.DialContext
	t.Proxy = nil // a proxy would dial for us, past the check
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}

func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrNotPublic, address)
	}
	if a := ap.Addr().Unmap(); !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		sharedOrReserved(a) {
		return fmt.Errorf("%w: %s", ErrNotPublic, a)
	}
	return nil
}

// reserved are ranges IsGlobalUnicast lets through that are not the public
// internet: carrier-grade NAT, benchmarking, documentation, the IPv4/IPv6
// translation and 6to4 relay prefixes.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("192.0.0.0/24"), netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"), netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("2002::/16"),
}

func sharedOrReserved(a netip.Addr) bool {
	for _, p := range reserved {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
