package auth

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// SessionStore keeps scs sessions in the sessions table, with the expiry as
// Unix milliseconds so that the same SQL runs on both databases (scs's own
// SQLite store stores it through julianday() and breaks on modernc).
// Session rows are opaque blobs, not domain data, so they are not audited.
type SessionStore struct {
	db *store.DB
}

var (
	_ scs.Store            = (*SessionStore)(nil)
	_ scs.CtxStore         = (*SessionStore)(nil)
	_ scs.IterableStore    = (*SessionStore)(nil)
	_ scs.IterableCtxStore = (*SessionStore)(nil)
)

// NewSessionStore returns a session store over db.
func NewSessionStore(db *store.DB) *SessionStore { return &SessionStore{db: db} }

// FindCtx returns the session data for token, with found false when it does
// not exist or has expired.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.QueryRow(ctx, `SELECT data FROM sessions WHERE token = ? AND expiry > ?`,
		token, store.Millis(timeNow(ctx))).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// CommitCtx stores or replaces the session data for token.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if b == nil {
		b = []byte{}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		token, b, store.Millis(expiry))
	return err
}

// DeleteCtx removes the session; an unknown token is not an error.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE token = ?`, token)
	return err
}

// AllCtx returns every unexpired session by token.
func (s *SessionStore) AllCtx(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.db.Query(ctx, `SELECT token, data FROM sessions WHERE expiry > ?`, store.Millis(timeNow(ctx)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var token string
		var b []byte
		if err := rows.Scan(&token, &b); err != nil {
			return nil, err
		}
		out[token] = b
	}
	return out, rows.Err()
}

// Find is FindCtx without a context; scs calls the Ctx methods.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a context.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// All is AllCtx without a context.
func (s *SessionStore) All() (map[string][]byte, error) {
	return s.AllCtx(context.Background())
}

// DeleteExpiredSessions removes expired sessions; run it hourly. Find
// already ignores them, so this only keeps the table small.
func DeleteExpiredSessions(ctx context.Context, db *store.DB) (int64, error) {
	res, err := db.Exec(ctx, `DELETE FROM sessions WHERE expiry <= ?`, store.Millis(timeNow(ctx)))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
