// Package store opens Hallmark's database (embedded SQLite or PostgreSQL),
// applies the embedded migrations and runs transactions. Queries are written
// once with '?' placeholders; the dialect layer rebinds them for PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the database engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open Hallmark database. On SQLite every transaction runs on a
// single-connection writer pool (so writers queue instead of failing with
// SQLITE_BUSY) while reads use a pool of readers; on PostgreSQL both are the
// same pool.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	dsn     string
	// stopCheckpoints ends SQLite's background checkpointer; done says it has.
	stopCheckpoints chan struct{}
	checkpointsDone chan struct{}
	// walLong says the WAL has grown long enough that the writer should
	// start it over after its current transaction.
	walLong atomic.Bool
}

// IsPostgres reports whether dsn selects PostgreSQL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn: a postgres:// URL selects PostgreSQL,
// anything else is a SQLite file path. It does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, false)
}

// OpenBulk opens the database for loading generated data in bulk. On
// SQLite the writer keeps a page cache of bulkCacheKiB and commits without
// waiting for the disk: at millions of events the indexes no longer fit a
// server's cache, and every commit would otherwise rewrite and flush pages
// scattered over gigabytes. A power cut during such a load may leave the
// file unusable, which is why only hallmark gen opens a database this way.
// On PostgreSQL commits do not wait for the WAL to reach the disk
// (synchronous_commit off: a crash loses the last commits, never the
// database).
func OpenBulk(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, true)
}

// bulkCacheKiB is the writer's page cache for bulk loads (4 GiB).
const bulkCacheKiB = 4 << 20

func open(ctx context.Context, dsn string, bulk bool) (*DB, error) {
	if IsPostgres(dsn) {
		connect := dsn
		if bulk {
			u, err := url.Parse(dsn)
			if err != nil {
				return nil, fmt.Errorf("PostgreSQL DSN: %w", err)
			}
			q := u.Query()
			q.Set("synchronous_commit", "off")
			u.RawQuery = q.Encode()
			connect = u.String()
		}
		pool, err := sql.Open("pgx", connect)
		if err != nil {
			return nil, err
		}
		pool.SetMaxOpenConns(max(8, 4*runtime.NumCPU()))
		pool.SetMaxIdleConns(max(4, 2*runtime.NumCPU()))
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db := &DB{Dialect: Postgres, write: pool, read: pool, dsn: dsn}
		if err := pool.PingContext(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		return db, nil
	}
	if dsn == "" {
		return nil, errors.New("no database given")
	}
	writerDSN := sqliteDSN(dsn, true)
	if bulk {
		writerDSN += "&_pragma=" + url.QueryEscape(fmt.Sprintf("cache_size(-%d)", bulkCacheKiB)) +
			"&_pragma=" + url.QueryEscape("synchronous(OFF)")
	}
	write, err := sql.Open("sqlite", writerDSN)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open("sqlite", sqliteDSN(dsn, false))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, 2*runtime.NumCPU()))
	read.SetMaxIdleConns(max(4, 2*runtime.NumCPU()))
	read.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{Dialect: SQLite, write: write, read: read, dsn: dsn}
	if err := write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open SQLite %s: %w", dsn, err)
	}
	db.stopCheckpoints, db.checkpointsDone = make(chan struct{}), make(chan struct{})
	go db.checkpoints(checkpointEvery)
	return db, nil
}

// checkpointEvery is how often the background checkpointer copies the WAL
// into the database; walRestartFrames is the WAL length (in pages) past which
// it makes the writer start the WAL over.
var checkpointEvery = time.Second

var walRestartFrames int64 = 8192

// checkpoints copies committed pages from the WAL into the database file
// in the background. SQLite would otherwise do it inside whichever commit
// pushes the WAL past a thousand pages, and a bulk writer would wait for it
// (a fifth of the time of capturing a thousand EPCIS events). PASSIVE never
// waits for readers or the writer. But a writer that never pauses never
// finds the WAL fully copied at the start of a transaction, which is when
// SQLite starts it over, so the WAL would grow without end: once it is
// long, the writer itself, between two transactions, copies the little that
// is left and starts it over (see restartWAL).
func (db *DB) checkpoints(every time.Duration) {
	defer close(db.checkpointsDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-db.stopCheckpoints:
			return
		case <-t.C:
			db.checkpoint()
		}
	}
}

// checkpoint is one round. It is never cut short: an interrupted copy
// would be done again next round, and a long WAL would go unnoticed.
func (db *DB) checkpoint() {
	var busy, frames, copied int64
	if err := db.read.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return
	}
	if frames >= walRestartFrames {
		db.walLong.Store(true)
	}
}

// restartWAL runs on the writer after a commit when the WAL has grown long.
func (db *DB) restartWAL(ctx context.Context) {
	if db.walLong.CompareAndSwap(true, false) {
		_, _ = db.write.ExecContext(context.WithoutCancel(ctx), "PRAGMA wal_checkpoint(RESTART)")
	}
}

// sqliteDSN builds a modernc DSN. Pragmas must be given as _pragma=name(value):
// modernc ignores mattn-style options. busy_timeout comes first so the WAL
// switch itself waits for a lock instead of failing.
func sqliteDSN(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-32000)")
	if writer {
		// Checkpoints run in the background (see checkpoints), not in
		// commits; a WAL started over is cut back to 64 MiB.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		q.Add("_pragma", "journal_size_limit(67108864)")
		q.Add("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// DSN returns the data source the database was opened with.
func (db *DB) DSN() string { return db.dsn }

// Maintain runs the periodic upkeep SQLite needs on a long-running server:
// truncate the WAL so it does not grow without bound, and let the planner
// refresh its statistics. PostgreSQL's autovacuum does this on its own.
func (db *DB) Maintain(ctx context.Context) error {
	if db.Dialect != SQLite {
		return nil
	}
	if _, err := db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return err
	}
	_, err := db.write.ExecContext(ctx, "PRAGMA optimize")
	return err
}

// Close stops the checkpointer, copies what is left in the WAL into the
// database, and closes both pools.
func (db *DB) Close() error {
	if db.stopCheckpoints != nil {
		close(db.stopCheckpoints)
		<-db.checkpointsDone
		db.stopCheckpoints = nil
		_, _ = db.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Pools returns the writer and reader pools (the same pool on PostgreSQL),
// for metrics collectors.
func (db *DB) Pools() (write, read *sql.DB) { return db.write, db.read }

// SQL returns the underlying writer pool, for tools (goose, backup) that need
// a *sql.DB. Application code uses Query, QueryRow and Tx.
func (db *DB) SQL() *sql.DB { return db.write }

// Rebind turns '?' placeholders into the dialect's own.
func (db *DB) Rebind(q string) string { return rebind(db.Dialect, q) }

// Query runs a read query on the reader pool.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.read.QueryContext(ctx, rebind(db.Dialect, q), args...)
}

// QueryRow runs a single-row read query on the reader pool.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, rebind(db.Dialect, q), args...)
}

// Exec runs a statement outside a transaction. Domain writes go through Tx
// so that they are audited; Exec is for maintenance (pragmas, checkpoints).
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return db.write.ExecContext(ctx, rebind(db.Dialect, q), args...)
}

// Queryer is what read functions take, so they run on the DB or inside a Tx.
type Queryer interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Rebind(q string) string
}

// Args turns a list into query arguments, for IN lists.
func Args[T any](v []T) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// Column runs a query of one column and returns its values in order, each
// scanned into a T.
func Column[T any](ctx context.Context, q Queryer, query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Map runs a query of two columns and returns the second by the first; a
// key that comes again keeps its last value.
func Map[K comparable, V any](ctx context.Context, q Queryer, query string, args ...any) (map[K]V, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[K]V{}
	for rows.Next() {
		var k K
		var v V
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// Tx is a transaction with the same placeholder rebinding as DB.
type Tx struct {
	tx      *sql.Tx
	Dialect Dialect
	after   []func()
}

func (t *Tx) Rebind(q string) string { return rebind(t.Dialect, q) }

func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, rebind(t.Dialect, q), args...)
}

func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, rebind(t.Dialect, q), args...)
}

func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, rebind(t.Dialect, q), args...)
}

// Prepare prepares q for repeated use within the transaction; the statement
// closes with it. Bulk writers prepare their multi-row statements once
// rather than having SQLite parse thousands of placeholders every time.
func (t *Tx) Prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, rebind(t.Dialect, q))
}

// AfterCommit registers fn to run once the transaction has committed, e.g. to
// wake the event runner.
func (t *Tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

// ForUpdate is the row-lock suffix for a SELECT: PostgreSQL needs it to
// serialise writers; SQLite already has one writer.
func (t *Tx) ForUpdate() string {
	if t.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Tx runs fn in a write transaction and commits it when fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, Dialect: db.Dialect}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	db.restartWAL(ctx)
	for _, f := range tx.after {
		f()
	}
	return nil
}

// NewID returns a new time-ordered UUIDv7 as text. IDs come from the
// application so that one banner's database can merge into another's.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Now is the current time in Unix milliseconds, the storage format of every
// timestamp.
func Now() int64 { return time.Now().UnixMilli() }

// Millis converts a time to storage format.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// Time converts stored milliseconds back to a time.
func Time(ms int64) time.Time { return time.UnixMilli(ms) }

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either database.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// rebind replaces '?' placeholders with $1, $2 … for PostgreSQL, leaving
// question marks inside quoted strings alone.
func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
