// Package notify keeps in-app notifications: reminders, warnings and news
// for one user, shown under the bell.
//
// A notification stores a message key and its parameters, not text, so each
// reader sees it in their own language: the kind is the key ("notify.<kind>"
// in the catalogs) and the body is the JSON of the parameters.
//
// Notifications are not audited. They are derived from a change that is
// audited already (the task that fell overdue, the result that failed), and
// sending one happens inside that change's transaction; marking one read is
// the reader's own bookkeeping, which nobody needs to account for later.
// Auditing them would flood the trail with one record per recipient.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Notice is a notification to send.
type Notice struct {
	UserID string
	// Kind names the message: the catalogs hold "notify.<Kind>", e.g.
	// "task.overdue" → "notify.task.overdue".
	Kind string
	// Params fill the message's placeholders.
	Params map[string]string
	// Link is a path inside Hallmark ("/tasks/…"), or empty.
	Link string
	// DedupeKey makes sending idempotent: a second notice with the same key
	// to the same user is dropped. Use something that names the occasion,
	// e.g. "task.overdue:<task id>:<deadline>", so a reminder fires once
	// however often the job that sends it runs. Empty means never dropped.
	DedupeKey string
}

// Notification is a stored notification.
type Notification struct {
	ID        string
	UserID    string
	Kind      string
	Params    map[string]string
	Link      string
	CreatedAt int64 // Unix ms
	ReadAt    int64 // Unix ms, 0 while unread
}

const maxDedupeKey = 200

func check(n Notice) error {
	switch {
	case n.UserID == "":
		return errors.New("notify: no user")
	case n.Kind == "" || len(n.Kind) > 64 || strings.Trim(n.Kind, "abcdefghijklmnopqrstuvwxyz0123456789._-") != "":
		return fmt.Errorf("notify: bad kind %q", n.Kind)
	case len(n.DedupeKey) > maxDedupeKey:
		return fmt.Errorf("notify: dedupe key longer than %d bytes", maxDedupeKey)
	}
	// A link is shown as a clickable target to its reader: only paths inside
	// Hallmark, never another site or a javascript: URL.
	if n.Link != "" && (!strings.HasPrefix(n.Link, "/") || strings.HasPrefix(n.Link, "//") || strings.HasPrefix(n.Link, `/\`)) {
		return fmt.Errorf("notify: link %q is not a local path", n.Link)
	}
	return nil
}

// Send stores n inside tx, the transaction of the change it reports. It
// does nothing when the user already has a notification with n.DedupeKey.
func Send(ctx context.Context, tx *store.Tx, n Notice) error {
	_, err := send(ctx, tx, n)
	return err
}

func send(ctx context.Context, tx *store.Tx, n Notice) (bool, error) {
	if err := check(n); err != nil {
		return false, err
	}
	id := store.NewID()
	key := n.DedupeKey
	if key == "" {
		key = "id:" + id
	}
	params := n.Params
	if params == nil {
		params = map[string]string{}
	}
	body, err := json.Marshal(params)
	if err != nil {
		return false, err
	}
	res, err := tx.Exec(ctx, `INSERT INTO notifications (id, user_id, kind, title, body, link, dedupe_key, created_at)
		VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (user_id, dedupe_key) DO NOTHING`,
		id, n.UserID, n.Kind, n.Kind, string(body), n.Link, key, store.Now())
	if err != nil {
		return false, fmt.Errorf("notify %s: %w", n.Kind, err)
	}
	added, err := res.RowsAffected()
	return added > 0, err
}

// sendAll sends n to every user the query names and returns how many new
// notifications were stored.
func sendAll(ctx context.Context, tx *store.Tx, n Notice, query string, args ...any) (int, error) {
	ids, err := store.Column[string](ctx, tx, query, args...)
	if err != nil {
		return 0, err
	}
	count := 0
	for _, id := range ids {
		n.UserID = id
		added, err := send(ctx, tx, n)
		if err != nil {
			return count, err
		}
		if added {
			count++
		}
	}
	return count, nil
}

// ToDepartment sends n to every enabled user of the department and returns
// how many new notifications were stored (n.UserID is ignored).
func ToDepartment(ctx context.Context, tx *store.Tx, departmentID string, n Notice) (int, error) {
	if departmentID == "" {
		return 0, errors.New("notify: no department")
	}
	return sendAll(ctx, tx, n, `SELECT id FROM users WHERE department_id = ? AND disabled = ? ORDER BY id`, departmentID, false)
}

// ToEnterprise sends n to every enabled user of the enterprise.
func ToEnterprise(ctx context.Context, tx *store.Tx, enterpriseID string, n Notice) (int, error) {
	if enterpriseID == "" {
		return 0, errors.New("notify: no enterprise")
	}
	return sendAll(ctx, tx, n, `SELECT id FROM users WHERE enterprise_id = ? AND disabled = ? ORDER BY id`, enterpriseID, false)
}

// ToInstitution sends n to every enabled user of a testing institution.
func ToInstitution(ctx context.Context, tx *store.Tx, institutionID string, n Notice) (int, error) {
	if institutionID == "" {
		return 0, errors.New("notify: no institution")
	}
	return sendAll(ctx, tx, n, `SELECT id FROM users WHERE institution_id = ? AND role = ? AND disabled = ? ORDER BY id`,
		institutionID, string(auth.RoleInstitution), false)
}

// ToRole sends n to every enabled user with role in the region.
func ToRole(ctx context.Context, tx *store.Tx, regionCode string, role auth.Role, n Notice) (int, error) {
	if regionCode == "" || !role.Valid() {
		return 0, fmt.Errorf("notify: bad region %q or role %q", regionCode, role)
	}
	return sendAll(ctx, tx, n, `SELECT id FROM users WHERE region_code = ? AND role = ? AND disabled = ? ORDER BY id`,
		regionCode, string(role), false)
}

// List returns userID's notifications, newest first, and how many there are
// in all (unread only when unreadOnly).
func List(ctx context.Context, q store.Queryer, userID string, unreadOnly bool, limit, offset int) ([]Notification, int, error) {
	cond := ` WHERE user_id = ?`
	if unreadOnly {
		cond += ` AND read_at IS NULL`
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM notifications`+cond, userID).Scan(&total); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	rows, err := q.Query(ctx, `SELECT id, user_id, kind, body, link, created_at, COALESCE(read_at, 0)
		FROM notifications`+cond+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, userID, limit, max(0, offset))
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		var body string
		if err := rows.Scan(&n.ID, &n.UserID, &n.Kind, &body, &n.Link, &n.CreatedAt, &n.ReadAt); err != nil {
			return nil, 0, err
		}
		if body != "" {
			// A body that is not our JSON shows the message without its
			// parameters rather than failing the whole list.
			_ = json.Unmarshal([]byte(body), &n.Params)
		}
		if n.Params == nil {
			n.Params = map[string]string{}
		}
		out = append(out, n)
	}
	return out, total, rows.Err()
}

// UnreadCount is the number on the bell.
func UnreadCount(ctx context.Context, q store.Queryer, userID string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`, userID).Scan(&n)
	return n, err
}

// MarkRead marks one of userID's own notifications read. Another user's
// notification is fielderr.ErrNotFound, as if it did not exist; marking a
// read one again is a no-op.
func MarkRead(ctx context.Context, db *store.DB, userID, id string) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		var readAt sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT read_at FROM notifications WHERE id = ? AND user_id = ?`, id, userID).Scan(&readAt)
		if errors.Is(err, sql.ErrNoRows) {
			return fielderr.ErrNotFound
		}
		if err != nil || readAt.Valid {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL`,
			store.Now(), id, userID)
		return err
	})
}

// MarkAllRead marks every unread notification of userID read.
func MarkAllRead(ctx context.Context, db *store.DB, userID string) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`, store.Now(), userID)
		return err
	})
}
