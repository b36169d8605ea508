// Package app assembles Hallmark: it opens and migrates the database, loads
// the demo banner when asked, starts the background runner and the HTTP
// server, and shuts them down gracefully. cmd/hallmark calls it, and so do
// end-to-end tests, which start the whole program on :0 with a temporary
// database.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/web"
)

// Options configure a running Hallmark.
type Options struct {
	Addr   string // listen address, ":8080"; ":0" picks a free port
	DB     string // SQLite file path or postgres:// DSN
	Demo   bool   // load the demo banner into an empty database
	Logger *slog.Logger
	// Secure marks cookies Secure (set when served over TLS).
	Secure bool
	// PublicURL is the address the public reaches the platform at (see
	// web.Config.PublicURL).
	PublicURL string
	// PrivateWebhooks lets EPCIS webhook subscriptions deliver to this
	// machine and private networks (a relay on the same host or intranet);
	// otherwise only public addresses are reached.
	PrivateWebhooks bool
	// Blobs is the folder of evidence files; "" puts it beside the SQLite
	// file (or in ./blobs for PostgreSQL).
	Blobs string
}

// Instance is a started Hallmark.
type Instance struct {
	URL      string
	DB       *store.DB
	Server   *web.Server
	Started  time.Duration // from Start to accepting connections
	http     *http.Server
	cancel   context.CancelFunc
	runnerOK chan struct{}
	log      *slog.Logger
}

// Open opens and migrates the database named by dsn, and makes sure the
// built-in divisions (Inner Mongolia, Alxa and its banners) are there, so a
// fresh database can take its first accounts without a demo.
func Open(ctx context.Context, dsn string) (*store.DB, error) {
	return prepare(ctx, dsn, store.Open)
}

// OpenBulk is Open for loading generated data (see store.OpenBulk).
func OpenBulk(ctx context.Context, dsn string) (*store.DB, error) {
	return prepare(ctx, dsn, store.OpenBulk)
}

func prepare(ctx context.Context, dsn string, open func(context.Context, string) (*store.DB, error)) (*store.DB, error) {
	db, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := registry.SeedRegions(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("built-in divisions: %w", err)
	}
	if err := seedLimits(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("limits catalogue: %w", err)
	}
	return db, nil
}

// seedLimits gives a new installation the shipped subset of the national
// standards' limits. Once the catalogue has entries it is the office's:
// nothing is added back behind its edits.
func seedLimits(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM lab_limits`).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := limits.SeedDefaults(ctx, db)
	return err
}

// Start opens the database, loads the demo if asked, and starts serving.
func Start(ctx context.Context, o Options) (*Instance, error) {
	begin := time.Now()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if _, err := web.CheckPublicURL(o.PublicURL); err != nil {
		return nil, err // before the database is touched
	}
	db, err := Open(ctx, o.DB)
	if err != nil {
		return nil, err
	}
	if o.Demo {
		if err := LoadDemo(ctx, db, o.Blobs, o.Logger); err != nil {
			db.Close()
			return nil, err
		}
	}
	cfg := web.Config{DB: db, Logger: o.Logger, Demo: o.Demo, SecureCookies: o.Secure, PublicURL: o.PublicURL, BlobDir: o.Blobs}
	if o.Demo {
		cfg.DemoAccounts, cfg.DemoPassword = DemoAccounts(), demo.Password
	}
	srv, err := web.New(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	inst := &Instance{
		DB: db, Server: srv, cancel: cancel, runnerOK: make(chan struct{}), log: o.Logger,
		http: &http.Server{
			Handler:           srv,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       2 * time.Minute,
			WriteTimeout:      5 * time.Minute,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    1 << 20,
		},
	}
	inst.URL = "http://" + hostPort(ln.Addr())
	runner := NewRunner(db, o.Logger, o.PrivateWebhooks)
	go func() {
		defer close(inst.runnerOK)
		if err := runner.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			o.Logger.Error("background runner stopped", "err", err)
		}
	}()
	go func() {
		if err := inst.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Logger.Error("http server stopped", "err", err)
		}
	}()
	inst.Started = time.Since(begin)
	return inst, nil
}

// Stop shuts the server down gracefully: it stops accepting connections,
// lets requests in flight finish (up to the context's deadline), ends the
// WebSocket subscriptions, stops the background runner between deliveries
// and closes the database.
func (i *Instance) Stop(ctx context.Context) error {
	err := i.http.Shutdown(ctx)
	i.Server.Close()
	i.cancel()
	select {
	case <-i.runnerOK:
	case <-ctx.Done():
	}
	return errors.Join(err, i.DB.Close())
}

func hostPort(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if tcp.IP.IsUnspecified() {
		return fmt.Sprintf("127.0.0.1:%d", tcp.Port)
	}
	return tcp.String()
}
