package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// TokenPrefix starts every API token, so a leaked one is recognisable in a
// log or a secret scanner.
const TokenPrefix = "hm_"

// TokenNameMax bounds a token's label.
const TokenNameMax = 64

// lastUsedEvery is how stale last_used_at may get: writing it on every API
// call would turn each read into a write.
const lastUsedEvery = time.Minute

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Token is an API token as listed to its owner. The plaintext is never
// stored; times are Unix ms, 0 for never.
type Token struct {
	ID         string
	UserID     string
	Name       string
	CreatedAt  int64
	LastUsedAt int64
	RevokedAt  int64
}

func hashToken(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a new API token for userID labelled name. The plaintext
// is returned once, here; only its SHA-256 is kept (a token has 256 random
// bits, so a fast hash suffices where a password needs argon2).
func CreateToken(ctx context.Context, db *store.DB, userID, name string) (string, Token, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", Token{}, fielderr.New("name", "rule.required")
	case utf8.RuneCountInString(name) > TokenNameMax:
		return "", Token{}, fielderr.New("name", "rule.max_length", "max", TokenNameMax)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, err
	}
	plain := TokenPrefix + strings.ToLower(tokenEncoding.EncodeToString(raw[:]))
	t := Token{ID: store.NewID(), UserID: userID, Name: name, CreatedAt: store.Millis(timeNow(ctx))}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		u, err := GetUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?,?,?,?,?)`,
			t.ID, t.UserID, t.Name, hashToken(plain), t.CreatedAt); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "api_token", EntityID: t.ID,
			RegionCode: u.RegionCode, After: t})
	})
	if err != nil {
		return "", Token{}, err
	}
	return plain, t, nil
}

const tokenCols = `id, user_id, name, created_at, COALESCE(last_used_at, 0), COALESCE(revoked_at, 0)`

func scanToken(r scanner) (Token, error) {
	var t Token
	err := r.Scan(&t.ID, &t.UserID, &t.Name, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fielderr.ErrNotFound
	}
	return t, err
}

// ListTokens returns userID's tokens, revoked ones included, newest first.
func ListTokens(ctx context.Context, q store.Queryer, userID string) ([]Token, error) {
	rows, err := q.Query(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of userID's own tokens. Another user's token is
// fielderr.ErrNotFound, as if it did not exist. Revoking twice is a no-op.
func RevokeToken(ctx context.Context, db *store.DB, userID, tokenID string) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		before, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = ? AND user_id = ?`+tx.ForUpdate(),
			tokenID, userID))
		if err != nil {
			return err
		}
		if before.RevokedAt != 0 {
			return nil
		}
		u, err := GetUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		after := before
		after.RevokedAt = store.Millis(timeNow(ctx))
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, after.RevokedAt, tokenID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "revoke", Entity: "api_token", EntityID: tokenID,
			RegionCode: u.RegionCode, Before: before, After: after})
	})
}

// UserForToken returns the owner of an API token presented by a client.
// Unknown and revoked tokens are ErrBadCredentials; a disabled owner is
// ErrDisabled (which is also ErrBadCredentials).
func UserForToken(ctx context.Context, db *store.DB, plaintext string) (*User, error) {
	if !strings.HasPrefix(plaintext, TokenPrefix) || len(plaintext) > 128 {
		return nil, ErrBadCredentials
	}
	var tokenID string
	var revokedAt, lastUsed int64
	u, err := scanUser(db.QueryRow(ctx, `SELECT u.id, u.username, u.name, u.role, u.region_code,
		COALESCE(u.department_id, ''), COALESCE(u.enterprise_id, ''), COALESCE(u.institution_id, ''), u.lang,
		u.disabled, u.created_at, u.password_changed_at, t.id, COALESCE(t.revoked_at, 0), COALESCE(t.last_used_at, 0)
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, hashToken(plaintext)),
		&tokenID, &revokedAt, &lastUsed)
	switch {
	case errors.Is(err, fielderr.ErrNotFound):
		return nil, ErrBadCredentials
	case err != nil:
		return nil, err
	case revokedAt != 0:
		return nil, ErrBadCredentials
	case u.Disabled:
		return nil, ErrDisabled
	}
	now := store.Millis(timeNow(ctx))
	if now-lastUsed >= lastUsedEvery.Milliseconds() {
		// Bookkeeping, not a change anyone made: not audited. The condition
		// keeps concurrent requests from each writing it.
		if _, err := db.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND COALESCE(last_used_at, 0) <= ?`,
			now, tokenID, now-lastUsedEvery.Milliseconds()); err != nil {
			return nil, err
		}
	}
	return u, nil
}
