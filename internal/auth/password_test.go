package auth

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

func TestHashPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, err := HashPassword(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Fatalf("PHC string %q", h)
	}
	h2, _ := HashPassword(ctx, "correct horse")
	if h2 == h {
		t.Fatal("same salt twice")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horsE": false, "": false, "correct horse ": false} {
		if ok, err := VerifyPassword(ctx, h, pw); ok != want || err != nil {
			t.Errorf("verify %q = %v, %v", pw, ok, err)
		}
	}
	if needsRehash(h) {
		t.Fatal("fresh hash needs rehash")
	}
}

// Hashes made with other parameters still verify, and are flagged for an
// upgrade; tampered or foreign strings are refused without hashing.
func TestVerifyPasswordParameters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A hash made with cheaper, older parameters.
	salt := []byte("somesalt")
	key := argon2.IDKey([]byte("password"), salt, 1, 64, 1, 32)
	old := "$argon2id$v=19$m=64,t=1,p=1$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
	if ok, err := VerifyPassword(ctx, old, "password"); !ok || err != nil {
		t.Fatalf("old-parameter hash: %v %v", ok, err)
	}
	if ok, _ := VerifyPassword(ctx, old, "passwort"); ok {
		t.Fatal("old-parameter hash accepts a wrong password")
	}
	if !needsRehash(old) {
		t.Fatal("old parameters not flagged")
	}
	for _, bad := range []string{
		"", "plain", "$2a$10$abcdefghijklmnopqrstuv", // bcrypt
		"$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$Xg4Mbdf4ZZH8zeAGgLD2YB7K1E2mNHb60w6MxYxeSkE",
		"$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHQ$Xg4Mbdf4ZZH8zeAGgLD2YB7K1E2mNHb60w6MxYxeSkE",
		"$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$Xg4Mbdf4ZZH8zeAGgLD2YB7K1E2mNHb60w6MxYxeSkE", // 4 GiB
		"$argon2id$v=19$m=19456,t=1000,p=1$c29tZXNhbHQ$Xg4Mbdf4ZZH8zeAGgLD2YB7K1E2mNHb60w6MxYxeSkE",
		"$argon2id$v=19$m=19456,t=2,p=1$!!!$Xg4Mbdf4ZZH8zeAGgLD2YB7K1E2mNHb60w6MxYxeSkE",
	} {
		if ok, err := VerifyPassword(ctx, bad, "password"); ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%q: %v %v", bad, ok, err)
		}
	}
}

// No more than NumCPU hashes run at once, and a waiter whose request is
// gone gives up instead of hashing for nobody.
func TestHashingIsBounded(t *testing.T) {
	t.Parallel()
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 4 * runtime.NumCPU() {
		wg.Go(func() {
			release, err := acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			release()
		})
	}
	wg.Wait()
	if int(peak.Load()) > runtime.NumCPU() {
		t.Fatalf("%d hashes at once", peak.Load())
	}

	// Fill every slot, then ask with a cancelled context.
	var releases []func()
	for range cap(hashSlots) {
		r, err := acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := HashPassword(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("hash with a cancelled request: %v", err)
	}
	for _, r := range releases {
		r()
	}
}

func TestParseRejectsTruncated(t *testing.T) {
	t.Parallel()
	h, _ := HashPassword(context.Background(), "x")
	if _, err := VerifyPassword(context.Background(), h[:len(h)-30], "x"); !errors.Is(err, ErrMalformedHash) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := VerifyPassword(context.Background(), strings.Replace(h, "argon2id", "argon2d", 1), "x"); !errors.Is(err, ErrMalformedHash) {
		t.Fatalf("argon2d: %v", err)
	}
}

// BenchmarkHashPassword is the cost of one sign-in's hash on this machine.
func BenchmarkHashPassword(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := HashPassword(ctx, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashPasswordParallel shows the throughput bound the semaphore sets.
func BenchmarkHashPasswordParallel(b *testing.B) {
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := HashPassword(ctx, "correct horse battery"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
