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
// This is our own small outbox rather than River: it needs one table pair
// (events, deliveries) plus scheduled_runs, the same SQL runs on SQLite and
// PostgreSQL, and a handler writes through the very transaction that records
// its delivery — which is what gives exactly-once database effects. River's
// SQLite driver is young, its job tables and notifier would be a second
// schema to migrate on both databases, and its workers commit their own
// transactions apart from ours.
package jobs
