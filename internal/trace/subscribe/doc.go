// Package subscribe keeps EPCIS 2.0 named queries and their webhook
// subscriptions (REST binding: /queries, /queries/{name}/events and
// /queries/{name}/subscriptions) and delivers subscription results, by
// POST to a webhook or as messages on a connection held open by the
// subscriber (Live: the binding's WebSocket subscriptions, which share the
// webhooks' controls, windows and pages but keep nothing in the database).
//
// A named query is a query object that validates against GS1's
// query-schema.json and that trace.ParseQuery accepts; it belongs to the
// enterprise that created it (or to the office) and runs over that owner's
// events only.
//
// A subscription receives EPCISQueryDocuments by HTTP POST to its dest: a
// stream subscription every newly recorded event that matches the query, a
// scheduled one the events recorded since its last report whenever its
// schedule comes round. Each subscription keeps a record-time watermark
// (minRecordTime); a delivery covers the window from the watermark up to a
// moment a little in the past (Deliverer.Settle, so that captures still
// committing are not overtaken), page by page, and the watermark moves only
// when dest has answered 2xx. Failed deliveries are retried with doubling
// backoff; nothing is skipped, and across restarts nothing acknowledged is
// sent again (a crash between the 2xx and the write of the watermark can
// repeat that one page, so receivers should treat eventIDs as idempotent).
//
// # Signature
//
// When the subscription has a signatureToken, every POST carries the header
//
//	GS1-Signature: <hex>
//
// where <hex> is the lowercase hexadecimal HMAC-SHA256 of the exact request
// body bytes, keyed with the UTF-8 bytes of signatureToken (see Sign). The
// receiver recomputes it over the body it read and compares in constant
// time. The token is never shown again after the subscription is created.
package subscribe
