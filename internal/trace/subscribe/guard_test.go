package subscribe

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// The server's delivery client connects to public addresses only: a
// receiver on this machine is refused, by name as by number, and the same
// receiver is reached by a plain client.
func TestPublicClientRefusesPrivateAddresses(t *testing.T) {
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, u := range []string{srv.URL, "http://localhost:" + port} {
		resp, err := PublicClient().Post(u, "application/json", nil)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, ErrNotPublic) {
			t.Errorf("%s: %v, want ErrNotPublic", u, err)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the receiver was reached %d times", n)
	}
	resp, err := (&http.Client{}).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if reached.Load() != 1 {
		t.Fatal("a plain client did not reach the receiver")
	}
	for addr, public := range map[string]bool{
		"10.1.2.3:443": false, "172.16.0.1:443": false, "192.168.1.1:443": false, "169.254.169.254:80": false,
		"100.64.0.1:443": false, "[::1]:443": false, "[fd00::1]:443": false, "[fe80::1]:443": false, "0.0.0.0:443": false,
		"[::ffff:127.0.0.1]:443": false, "8.8.8.8:443": true, "[2400:3200::1]:443": true, "114.114.114.114:443": true,
	} {
		if err := refuseNonPublic("tcp", addr, nil); (err == nil) != public {
			t.Errorf("%s: %v, public %v", addr, err, public)
		}
	}
}
