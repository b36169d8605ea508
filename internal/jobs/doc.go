// Package jobs owns durable background work: the outbox of domain events,
// delivered at least once to handlers whose database effects happen exactly
// once, and scheduled jobs that run once per slot (a day, an hour) however
// often the server restarts and however many servers run.
//
// A change emits its events with Emit inside its own transaction, so an event
// exists exactly when the change commits. A Runner fans each event out into
// one delivery row per registered handler, then runs each delivery in a
// transaction that also marks it done: the handler's writes and the mark
// commit together or not at all. A crash, a cancelled context or a failing
// handler leaves the delivery pending and it is tried again with exponential
// backoff; after Runner.MaxAttempts failures it is marked dead for an admin
// to inspect and Retry. Effects outside the database (mail, HTTP calls) can
// still repeat, so such handlers must be idempotent.
//
// This is our own small outbox rather than River, for three reasons. It needs
// one table pair (events, deliveries) plus scheduled_runs, created by our own
// migrations, where River brings a schema of its own and a migrator to run
// on each database. The same SQL runs on SQLite and PostgreSQL through
// store's rebinding, where River needs a driver per database, and its main
// PostgreSQL driver wants a pgx pool beside our database/sql one. And a
// handler here writes through the *store.Tx that also marks its delivery
// done, the same transaction type every domain package uses; with River a
// worker would get a driver-specific transaction (pgx.Tx or *sql.Tx) and
// could not be written once for both databases.
package jobs
