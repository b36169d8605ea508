package trace

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// masterElement is one vocabulary element of a document's master data
// (epcisHeader.epcisMasterData.vocabularyList): a location, party, product
// class… by its identifier, with its attributes as sent and the identifiers
// of its children (a location's sub-locations, for the WD_ query
// parameters).
type masterElement struct {
	vtype    string
	id       ref // uri canonical, urn the EPC URN when sent as one
	attrs    []any
	children []ref
}

// masterDataPath is where a document carries its master data.
const masterDataPath = "/epcisHeader/epcisMasterData/vocabularyList"

// masterDataOf reads the master data of a document whose envelope passed
// the schema; an identifier that is not one is refused with its pointer.
func masterDataOf(doc map[string]any) ([]masterElement, *ValidationError) {
	header, _ := doc["epcisHeader"].(map[string]any)
	md, _ := header["epcisMasterData"].(map[string]any)
	var out []masterElement
	bad := &ValidationError{}
	id := func(v any, at string) (ref, bool) {
		s, _ := v.(string)
		c, err := Canonical(s)
		if err != nil {
			bad.Problems = append(bad.Problems, Problem{Pointer: at, Rule: "rule.epcis.identifier", Detail: fmt.Sprintf("%q: %v", s, err)})
			return ref{}, false
		}
		r := ref{uri: c}
		if strings.HasPrefix(s, "urn:epc:") {
			r.urn = s
		}
		return r, true
	}
	for i, v := range list(md["vocabularyList"]) {
		voc, _ := v.(map[string]any)
		for j, e := range list(voc["vocabularyElementList"]) {
			el, _ := e.(map[string]any)
			at := fmt.Sprintf("%s/%d/vocabularyElementList/%d", masterDataPath, i, j)
			r, ok := id(el["id"], at+"/id")
			if !ok {
				continue
			}
			m := masterElement{vtype: str(voc["type"]), id: r, attrs: list(el["attributes"])}
			for k, c := range list(el["children"]) {
				if cr, ok := id(c, fmt.Sprintf("%s/children/%d", at, k)); ok {
					m.children = append(m.children, cr)
				}
			}
			out = append(out, m)
		}
	}
	if len(bad.Problems) > 0 {
		return nil, bad
	}
	return out, nil
}

// storeMasterData keeps the elements: an element is replaced by whoever
// provided it, or by the office; one another enterprise provided is left as
// it is, so that nobody renames a partner's premises. It returns how many
// elements it stored and how many it left.
func (w *writer) storeMasterData(ctx context.Context, els []masterElement) (stored, kept int, err error) {
	if len(els) == 0 {
		return 0, 0, nil
	}
	uris := map[string]string{}
	for _, e := range els {
		for _, r := range append([]ref{e.id}, e.children...) {
			if r.urn != "" || uris[r.uri] == "" {
				uris[r.uri] = r.urn
			}
		}
	}
	ids, err := w.internNodes(ctx, uris)
	if err != nil {
		return 0, 0, err
	}
	// One order for every capture, so that two storing the same elements
	// at once on PostgreSQL wait for each other instead of deadlocking.
	els = slices.Clone(els)
	slices.SortStableFunc(els, func(a, b masterElement) int {
		return cmp.Or(cmp.Compare(a.id.uri, b.id.uri), cmp.Compare(a.vtype, b.vtype))
	})
	tx, owner := w.tx, w.job.Owner
	for _, e := range els {
		node := ids[e.id.uri]
		var was string
		err := tx.QueryRow(ctx, `SELECT owner_id FROM epcis_master_data WHERE node = ? AND vtype = ?`+tx.ForUpdate(), node, e.vtype).Scan(&was)
		switch {
		case err == nil && was != owner && owner != "":
			kept++
			continue
		case err != nil && err != errNoRows:
			return stored, kept, err
		}
		attrs, err := json.Marshal(orEmptyList(e.attrs))
		if err != nil {
			return stored, kept, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO epcis_master_data (node, vtype, attributes, owner_id, capture_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (node, vtype) DO UPDATE SET attributes = excluded.attributes,
			owner_id = excluded.owner_id, capture_id = excluded.capture_id, updated_at = excluded.updated_at`,
			node, e.vtype, string(attrs), owner, w.job.ID, w.now); err != nil {
			return stored, kept, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM epcis_master_children WHERE parent = ? AND vtype = ?`, node, e.vtype); err != nil {
			return stored, kept, err
		}
		for _, c := range e.children {
			if _, err := tx.Exec(ctx, `INSERT INTO epcis_master_children (parent, vtype, child) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				node, e.vtype, ids[c.uri]); err != nil {
				return stored, kept, err
			}
		}
		stored++
	}
	return stored, kept, nil
}

func orEmptyList(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// maxDescendants bounds a WD_ expansion: a location hierarchy is a county's
// premises and their rooms, never this many.
const maxDescendants = 10000

// descendants adds to ids every node below them in the master data's
// hierarchy (children, their children…), whatever the vocabulary type.
func descendants(ctx context.Context, db *store.DB, ids []any) ([]any, error) {
	seen := map[int64]bool{}
	var tier []any
	for _, id := range ids {
		seen[id.(int64)] = true
		tier = append(tier, id)
	}
	out := ids
	for len(tier) > 0 && len(out) < maxDescendants {
		var next []any
		for start := 0; start < len(tier); start += chunkIDs {
			part := tier[start:min(start+chunkIDs, len(tier))]
			kids, err := store.Column[int64](ctx, db, `SELECT DISTINCT child FROM epcis_master_children WHERE parent IN (`+placeholders(len(part))+`)`, part...)
			if err != nil {
				return nil, err
			}
			for _, k := range kids {
				if !seen[k] {
					seen[k] = true
					next = append(next, k)
				}
			}
		}
		out = append(out, next...)
		tier = next
	}
	return out, nil
}

// nameAttributes are the master data attributes that name an element, in
// the order they are preferred: a location's or party's name, a product
// class's short description.
var nameAttributes = []string{"name", "descriptionShort", "vesselName"}

// MasterName returns the name master data gives an identifier (any of its
// forms), or "" when it gives none.
func MasterName(ctx context.Context, q store.Queryer, id string) (string, error) {
	c, err := Canonical(id)
	if err != nil {
		return "", nil
	}
	rows, err := store.Column[string](ctx, q, `SELECT m.attributes FROM epcis_master_data m JOIN trace_nodes t ON t.id = m.node
		WHERE t.uri = ? ORDER BY m.updated_at DESC`, c)
	if err != nil {
		return "", err
	}
	for _, want := range nameAttributes {
		for _, attrs := range rows {
			var list []struct {
				ID        string `json:"id"`
				Attribute any    `json:"attribute"`
			}
			if json.Unmarshal([]byte(attrs), &list) != nil {
				continue
			}
			for _, a := range list {
				if s, ok := a.Attribute.(string); ok && s != "" && masterAttributeName(a.ID) == want {
					return s, nil
				}
			}
		}
	}
	return "", nil
}

// masterAttributeName is a CBV master data attribute's bare name, whichever
// way its identifier is written.
func masterAttributeName(id string) string {
	for _, p := range []string{"urn:epcglobal:cbv:mda#", "urn:epcglobal:cbv:mda:", "https://ref.gs1.org/cbv/mda#", "cbvmda:"} {
		if rest, ok := strings.CutPrefix(id, p); ok {
			return rest
		}
	}
	return ""
}
