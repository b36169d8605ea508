package eventhash

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
)

// Message keys of the refusals.
const (
	// RuleEventType: the event has no "type" (ObjectEvent, AggregationEvent …).
	RuleEventType = "rule.epcis.hash.event_type"
	// RuleValue: a field holds something other than JSON text, numbers,
	// booleans, objects and arrays.
	RuleValue = "rule.epcis.hash.value"
)

var errBadValue = errors.New(RuleValue)

// PreHash returns the canonical pre-hash string of a JSON-LD event; ns holds
// the prefixes of the document's @context (NamespacesOf).
func PreHash(event map[string]any, ns Namespaces) (string, error) {
	return PreHashIgnoring(event, ns, nil)
}

// ID returns the Event Hash ID of a JSON-LD event:
// ni:///sha-256;<64 hex digits>?ver=CBV2.0.
func ID(event map[string]any, ns Namespaces) (string, error) {
	return IDIgnoring(event, ns, nil)
}

// PreHashIgnoring is PreHash leaving out the top-level fields named in
// ignore (as written in the document, e.g. "example:captureID"; see
// IgnoredFields).
func PreHashIgnoring(event map[string]any, ns Namespaces, ignore []string) (string, error) {
	st := states.Get().(*state)
	defer states.Put(st)
	if err := st.preHash(event, ns, ignore); err != nil {
		return "", err
	}
	return string(st.w.buf), nil
}

// IDIgnoring is ID leaving out the top-level fields named in ignore.
func IDIgnoring(event map[string]any, ns Namespaces, ignore []string) (string, error) {
	st := states.Get().(*state)
	defer states.Put(st)
	if err := st.preHash(event, ns, ignore); err != nil {
		return "", err
	}
	sum := sha256.Sum256(st.w.buf)
	const pre, post = "ni:///sha-256;", "?ver=CBV2.0"
	var id [len(pre) + 2*sha256.Size + len(post)]byte
	copy(id[:], pre)
	hex.Encode(id[len(pre):], sum[:])
	copy(id[len(pre)+2*sha256.Size:], post)
	return string(id[:]), nil
}

// state is the working memory of one pre-hash, reused across calls: hashing
// is done on every capture, and most of its cost would otherwise be
// allocation.
type state struct {
	b builder
	w writer
}

var states = sync.Pool{New: func() any { return new(state) }}

func (st *state) preHash(event map[string]any, ns Namespaces, ignore []string) error {
	st.b.reset(ns)
	st.w.buf = st.w.buf[:0]
	if len(ignore) > 0 {
		st.b.ignore = make(map[string]bool, len(ignore))
		for _, name := range ignore {
			st.b.ignore[st.b.key(strings.TrimSpace(name))] = true
		}
	}
	root, err := st.b.event(event)
	if err != nil {
		return err
	}
	st.w.buf = append(st.w.buf, "eventType="...)
	st.w.buf = append(st.w.buf, root.name...)
	st.w.ordered(root, eventOrder, false)
	st.w.generic(root.kids, false)
	return nil
}
