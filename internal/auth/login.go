package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Sign-in throttling: after MaxUserFailures failed attempts on one username,
// or MaxIPFailures from one client address, within FailureWindow, further
// attempts are refused for LockoutDuration without looking at the password.
const (
	MaxUserFailures = 5
	MaxIPFailures   = 20
	FailureWindow   = 15 * time.Minute
	LockoutDuration = 15 * time.Minute
)

var (
	// ErrBadCredentials: the username or password is wrong. The two cases
	// are not told apart.
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrDisabled: the password was right but the account is disabled. It
	// wraps ErrBadCredentials, so callers that do not care treat it alike.
	ErrDisabled = fmt.Errorf("%w: account disabled", ErrBadCredentials)
	// ErrThrottled: too many failures; errors.As gives a *ThrottledError
	// with the wait.
	ErrThrottled = errors.New("too many failed sign-ins")
)

// ThrottledError refuses a sign-in attempt until RetryAfter has passed.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v: retry after %v", ErrThrottled, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) hold.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// RetryAfterSeconds is the wait in whole seconds, rounded up, for an HTTP
// Retry-After header.
func (e *ThrottledError) RetryAfterSeconds() string {
	s := (e.RetryAfter + time.Second - 1) / time.Second
	return strconv.FormatInt(int64(max(1, s)), 10)
}

// throttleKey is one counter in login_failures.
type throttleKey struct {
	key   string
	scope string // "username" or "ip", for the audit record
	limit int
}

func throttleKeys(username, clientIP string) []throttleKey {
	if len(username) > usernameKeyMax {
		username = username[:usernameKeyMax]
	}
	// Always the username first: both transactions below lock rows in this
	// order, so two attempts cannot deadlock on PostgreSQL.
	keys := []throttleKey{{key: "user:" + username, scope: "username", limit: MaxUserFailures}}
	if ip := ipKey(clientIP); ip != "" {
		keys = append(keys, throttleKey{key: "ip:" + ip, scope: "ip", limit: MaxIPFailures})
	}
	return keys
}

// ipKey counts IPv6 clients by their /64, which is what one subscriber
// usually holds, so rotating addresses inside it gains nothing.
func ipKey(s string) string {
	if s == "" {
		return ""
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		if len(s) > 64 {
			s = s[:64]
		}
		return s
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// Authenticate checks a username and password typed at the sign-in page or
// sent to the token endpoint, from clientIP.
//
// Each attempt first takes a slot in the username's and the address's
// failure counters, in one transaction, and only then hashes. Counting
// before hashing is what bounds guesses under a flood: checking afterwards
// would let every request already queued for the hash through. A success
// gives the slot back. Unknown usernames are counted and hashed like real
// ones, so neither the answer, its timing nor the lock-out tells which
// accounts exist.
func Authenticate(ctx context.Context, db *store.DB, username, password, clientIP string) (*User, error) {
	username = NormalizeUsername(username)
	keys := throttleKeys(username, clientIP)

	var u *User
	var stored string
	if validUsername(username) {
		var err error
		u, err = scanUser(db.QueryRow(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE username = ?`, username), &stored)
		if errors.Is(err, fielderr.ErrNotFound) {
			u = nil
		} else if err != nil {
			return nil, err
		}
	}
	if err := reserveAttempt(ctx, db, keys, u, clientIP); err != nil {
		return nil, err
	}
	phc := stored
	if u == nil {
		phc = dummyPHC()
	}
	ok, err := VerifyPassword(ctx, phc, password)
	if err != nil && !errors.Is(err, ErrMalformedHash) {
		return nil, err
	}
	if u == nil || !ok {
		if err := recordFailure(ctx, db, keys, u, clientIP); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	if err := recordSuccess(ctx, db, keys, u, password, stored, clientIP); err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, ErrDisabled
	}
	return u, nil
}

type counter struct {
	failures    int
	firstAt     int64
	lockedUntil int64
}

func lockCounter(ctx context.Context, tx *store.Tx, key string, now int64) (counter, error) {
	// Make sure the row exists so that FOR UPDATE has something to lock:
	// PostgreSQL does not lock rows that are absent.
	if _, err := tx.Exec(ctx, `INSERT INTO login_failures (key, failures, first_at, locked_until) VALUES (?, 0, ?, 0)
		ON CONFLICT (key) DO NOTHING`, key, now); err != nil {
		return counter{}, err
	}
	var c counter
	err := tx.QueryRow(ctx, `SELECT failures, first_at, locked_until FROM login_failures WHERE key = ?`+tx.ForUpdate(), key).
		Scan(&c.failures, &c.firstAt, &c.lockedUntil)
	return c, err
}

func writeCounter(ctx context.Context, tx *store.Tx, key string, c counter) error {
	_, err := tx.Exec(ctx, `UPDATE login_failures SET failures = ?, first_at = ?, locked_until = ? WHERE key = ?`,
		c.failures, c.firstAt, c.lockedUntil, key)
	return err
}

func auditLockout(ctx context.Context, tx *store.Tx, k throttleKey, u *User, clientIP string, until int64) error {
	e := audit.Entry{Action: "lock-out", Entity: "user",
		After: map[string]any{"scope": k.scope, "ip": clientIP, "locked_until": until}}
	if u != nil {
		e.EntityID, e.RegionCode = u.ID, u.RegionCode
	}
	return audit.Write(ctx, tx, e)
}

// reserveAttempt counts the attempt against every key, or refuses it with a
// *ThrottledError when a key is locked or this attempt would exceed its
// limit (which then locks it).
func reserveAttempt(ctx context.Context, db *store.DB, keys []throttleKey, u *User, clientIP string) error {
	now := store.Millis(timeNow(ctx))
	windowStart := now - FailureWindow.Milliseconds()
	var refuse int64 // ms to wait, when refused
	err := db.Tx(ctx, func(tx *store.Tx) error {
		counters := make([]counter, len(keys))
		for i, k := range keys {
			c, err := lockCounter(ctx, tx, k.key, now)
			if err != nil {
				return err
			}
			if c.lockedUntil > now {
				refuse = max(refuse, c.lockedUntil-now)
			}
			if c.firstAt <= windowStart {
				c = counter{firstAt: now}
			}
			c.failures++
			counters[i] = c
		}
		if refuse > 0 {
			// Nothing to change: the rows inserted above hold no count.
			return nil
		}
		over := false
		for i, k := range keys {
			if counters[i].failures > k.limit {
				over = true
				c := counters[i]
				c.failures = k.limit
				c.lockedUntil = now + LockoutDuration.Milliseconds()
				if err := writeCounter(ctx, tx, k.key, c); err != nil {
					return err
				}
				if err := auditLockout(ctx, tx, k, u, clientIP, c.lockedUntil); err != nil {
					return err
				}
				refuse = max(refuse, c.lockedUntil-now)
			}
		}
		if over {
			// The attempt is refused, so it is not counted against the
			// other keys.
			return nil
		}
		for i, k := range keys {
			if err := writeCounter(ctx, tx, k.key, counters[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sign-in throttle: %w", err)
	}
	if refuse > 0 {
		return &ThrottledError{RetryAfter: time.Duration(refuse) * time.Millisecond}
	}
	return nil
}

// recordFailure keeps the slot taken by reserveAttempt as a failure, and
// locks a key whose failures have reached the limit, so the next attempt is
// refused at once.
func recordFailure(ctx context.Context, db *store.DB, keys []throttleKey, u *User, clientIP string) error {
	now := store.Millis(timeNow(ctx))
	return db.Tx(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			var c counter
			err := tx.QueryRow(ctx, `SELECT failures, first_at, locked_until FROM login_failures WHERE key = ?`+tx.ForUpdate(), k.key).
				Scan(&c.failures, &c.firstAt, &c.lockedUntil)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if c.failures >= k.limit && c.lockedUntil <= now {
				c.lockedUntil = now + LockoutDuration.Milliseconds()
				if err := writeCounter(ctx, tx, k.key, c); err != nil {
					return err
				}
				if err := auditLockout(ctx, tx, k, u, clientIP, c.lockedUntil); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// recordSuccess clears the username's counter, gives the address its slot
// back, upgrades an old-parameter hash and records the sign-in. A disabled
// account with the right password is not a guess, so it clears the counter
// too, but is not recorded as a sign-in.
func recordSuccess(ctx context.Context, db *store.DB, keys []throttleKey, u *User, password, stored, clientIP string) error {
	var rehash string
	if !u.Disabled && needsRehash(stored) {
		var err error
		if rehash, err = HashPassword(ctx, password); err != nil {
			return err
		}
	}
	return db.Tx(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			var err error
			if k.scope == "username" {
				_, err = tx.Exec(ctx, `DELETE FROM login_failures WHERE key = ?`, k.key)
			} else {
				_, err = tx.Exec(ctx, `UPDATE login_failures SET failures = failures - 1 WHERE key = ? AND failures > 0`, k.key)
			}
			if err != nil {
				return err
			}
		}
		if u.Disabled {
			return nil
		}
		if rehash != "" {
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`,
				rehash, u.ID, stored); err != nil {
				return err
			}
		}
		actx := audit.WithActor(ctx, audit.Actor{ID: u.ID, Name: u.Username})
		return audit.Write(actx, tx, audit.Entry{Action: "sign-in", Entity: "user", EntityID: u.ID,
			RegionCode: u.RegionCode, After: map[string]any{"ip": clientIP}})
	})
}

// DeleteStaleLoginFailures removes counters whose window and lock have both
// passed; unknown usernames tried once would otherwise stay forever. Run it
// from the hourly job beside DeleteExpiredSessions.
func DeleteStaleLoginFailures(ctx context.Context, db *store.DB) (int64, error) {
	now := store.Millis(timeNow(ctx))
	res, err := db.Exec(ctx, `DELETE FROM login_failures WHERE first_at <= ? AND locked_until <= ?`,
		now-FailureWindow.Milliseconds(), now)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
