package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		clk := newClock()
		ctx := auth.WithClock(context.Background(), clk.Now)
		u := mustUser(t, db, auth.NewUser{Username: "wang.fang"})
		other := mustUser(t, db, auth.NewUser{Username: "li.wei"})

		_, _, err := auth.CreateToken(ctx, db, u.ID, "  ")
		wantRule(t, err, "name", "rule.required")
		_, _, err = auth.CreateToken(ctx, db, u.ID, strings.Repeat("名", 65))
		wantRule(t, err, "name", "rule.max_length")
		if _, _, err := auth.CreateToken(ctx, db, "missing", "x"); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("token for a missing user: %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM api_tokens`); n != 0 {
			t.Fatalf("%d tokens stored from bad input", n)
		}

		plain, tok, err := auth.CreateToken(ctx, db, u.ID, "nightly export")
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^hm_[a-z2-7]{52}$`).MatchString(plain) {
			t.Fatalf("token %q", plain)
		}
		if tok.UserID != u.ID || tok.Name != "nightly export" || tok.RevokedAt != 0 || tok.LastUsedAt != 0 {
			t.Fatalf("token %+v", tok)
		}
		plain2, _, err := auth.CreateToken(ctx, db, u.ID, "second")
		if err != nil || plain2 == plain {
			t.Fatalf("second token %q %v", plain2, err)
		}

		// Only the SHA-256 is stored; the plaintext is nowhere in the database.
		sum := sha256.Sum256([]byte(plain))
		if n := count(t, db, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?`, hex.EncodeToString(sum[:])); n != 1 {
			t.Fatal("token hash not stored")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = ? OR name = ?`, plain, plain); n != 0 {
			t.Fatal("plaintext stored")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE after_json LIKE ? OR before_json LIKE ?`,
			"%"+plain[3:]+"%", "%"+plain[3:]+"%"); n != 0 {
			t.Fatal("plaintext in the audit trail")
		}

		got, err := auth.UserForToken(ctx, db, plain)
		if err != nil || got.ID != u.ID {
			t.Fatalf("user for token: %+v %v", got, err)
		}
		lastUsed := func() int64 {
			list, err := auth.ListTokens(ctx, db, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range list {
				if x.ID == tok.ID {
					return x.LastUsedAt
				}
			}
			t.Fatal("token not listed")
			return 0
		}
		first := lastUsed()
		if first != store.Millis(clk.Now()) {
			t.Fatalf("last used %d, want %d", first, store.Millis(clk.Now()))
		}
		clk.Advance(30 * time.Second)
		if _, err := auth.UserForToken(ctx, db, plain); err != nil {
			t.Fatal(err)
		}
		if lastUsed() != first {
			t.Fatal("last used written again within a minute")
		}
		clk.Advance(31 * time.Second)
		if _, err := auth.UserForToken(ctx, db, plain); err != nil {
			t.Fatal(err)
		}
		if lastUsed() != store.Millis(clk.Now()) {
			t.Fatal("last used not updated after a minute")
		}

		for _, bad := range []string{"", "hm_", plain + "x", strings.ToUpper(plain), plain[3:], "Bearer " + plain} {
			if _, err := auth.UserForToken(ctx, db, bad); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("token %q: %v", bad, err)
			}
		}

		list, err := auth.ListTokens(ctx, db, u.ID)
		if err != nil || len(list) != 2 || list[0].Name != "second" {
			t.Fatalf("list: %+v %v", list, err)
		}
		if list, _ := auth.ListTokens(ctx, db, other.ID); len(list) != 0 {
			t.Fatalf("another user sees %d tokens", len(list))
		}

		// Another user cannot revoke it, nor learn that it exists.
		if err := auth.RevokeToken(ctx, db, other.ID, tok.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("revoke by another user: %v", err)
		}
		if _, err := auth.UserForToken(ctx, db, plain); err != nil {
			t.Fatalf("token stopped working after a refused revoke: %v", err)
		}
		if err := auth.RevokeToken(ctx, db, u.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if err := auth.RevokeToken(ctx, db, u.ID, tok.ID); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		if _, err := auth.UserForToken(ctx, db, plain); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("revoked token: %v", err)
		}
		if _, err := auth.UserForToken(ctx, db, plain2); err != nil {
			t.Fatalf("the other token: %v", err)
		}
		list, _ = auth.ListTokens(ctx, db, u.ID)
		if list[1].RevokedAt != store.Millis(clk.Now()) || list[0].RevokedAt != 0 {
			t.Fatalf("after revoke: %+v", list)
		}
		if err := auth.RevokeToken(ctx, db, u.ID, "missing"); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("missing token: %v", err)
		}

		recs, _, _ := audit.List(ctx, db, audit.Filter{Entity: "api_token"})
		actions := map[string]int{}
		for _, r := range recs {
			actions[r.Action]++
		}
		if actions["create"] != 2 || actions["revoke"] != 1 {
			t.Fatalf("token audit: %v", actions)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
