package web

import (
	"cmp"
	"context"
	"net/url"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/locales"
)

// registryNames reads the few registry facts a public page shows: a
// product's name and category by GTIN, enterprises' names, and the dates an
// enterprise's books give a lot. The
// registry's own readers ask for a signed-in user and apply that user's
// scope; a scanned code has no user, and these facts are public (they are
// printed on the package and in the business register), so they are read
// here directly and nothing else of the rows leaves this file.
type registryNames struct {
	db       *store.DB
	names    map[string]string      // enterprise ID → name
	byKey    map[string]string      // USCC, "gln:" and a GLN, or an identifier → name
	products map[string]*productRow // GTIN → product, nil for none
}

func newRegistryNames(db *store.DB) *registryNames {
	return &registryNames{db: db, names: map[string]string{}, byKey: map[string]string{}, products: map[string]*productRow{}}
}

type productRow struct {
	name, category, enterpriseID, enterprise string
}

// product finds the product recorded with a GTIN, written in any of its
// lengths; the first recorded wins when two regions recorded it. A trace
// names many lots of one product, so each GTIN is looked up once.
func (n *registryNames) product(ctx context.Context, gtin string) (*productRow, error) {
	if p, ok := n.products[gtin]; ok {
		return p, nil
	}
	p, err := n.lookupProduct(ctx, gtin)
	if err == nil {
		n.products[gtin] = p
	}
	return p, err
}

func (n *registryNames) lookupProduct(ctx context.Context, gtin string) (*productRow, error) {
	forms := gtinSpellings(gtin)
	rows, err := n.db.Query(ctx, `SELECT p.name, p.category, p.enterprise_id, COALESCE(e.name, '') FROM products p
		LEFT JOIN enterprises e ON e.id = p.enterprise_id WHERE p.gtin IN (`+placeholderList(len(forms))+`)
		ORDER BY p.created_at, p.id LIMIT 1`, forms...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var p productRow
	if err := rows.Scan(&p.name, &p.category, &p.enterpriseID, &p.enterprise); err != nil {
		return nil, err
	}
	n.names[p.enterpriseID] = p.enterprise
	return &p, rows.Err()
}

// gtinSpellings lists the ways a GTIN-14 may have been recorded: as 14
// digits, and without the leading zeros of a GTIN-13, -12 or -8.
func gtinSpellings(g14 string) []any {
	out := []any{g14}
	for _, n := range []int{13, 12, 8} {
		if len(g14) == 14 && strings.Trim(g14[:14-n], "0") == "" {
			out = append(out, g14[14-n:])
		}
	}
	return out
}

// enterprises loads the names of the enterprises among ids.
func (n *registryNames) enterprises(ctx context.Context, ids map[string]bool) error {
	var args []any
	for id := range ids {
		if _, known := n.names[id]; !known && id != "" {
			args = append(args, id)
		}
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := n.db.Query(ctx, `SELECT id, name FROM enterprises WHERE id IN (`+placeholderList(len(args))+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		n.names[id] = name
	}
	return rows.Err()
}

// enterpriseName is a loaded enterprise's name, "" for one not loaded.
func (n *registryNames) enterpriseName(id string) string { return n.names[id] }

// ownerName names who recorded an event: its enterprise, or the market
// regulator for events the office captured.
func (n *registryNames) ownerName(lang, owner string) string {
	if owner == "" {
		return locales.T(lang, "lotpage.party.office", nil)
	}
	return n.names[owner]
}

// partyName names a party or place of the trace graph: the platform's
// party and premises URIs (traceability.md §3.6) and a registered GLN by the
// enterprise's name, a party known only by name by that name, anything else
// by the name master data gives it, or else a GLN by its number and the rest
// as it is.
func (n *registryNames) partyName(ctx context.Context, uri string) (string, error) {
	if name, ok := strings.CutPrefix(uri, trace.PartyByNamePrefix); ok {
		if u, err := url.PathUnescape(name); err == nil {
			return u, nil
		}
		return name, nil
	}
	var q, key, arg string
	if uscc, ok := trace.USCCOf(uri); ok {
		q, key, arg = `SELECT name FROM enterprises WHERE uscc = ? ORDER BY id LIMIT 1`, uscc, codes.NormalizeUSCC(uscc)
	} else if gln, ok := trace.GLNOf(uri); ok {
		q, key, arg = `SELECT name FROM enterprises WHERE gln = ?`, "gln:"+gln, gln
	} else {
		return n.described(ctx, uri)
	}
	// An enterprise's name is never empty: "" caches that none has the code.
	name, ok := n.byKey[key]
	if !ok {
		names, err := store.Column[string](ctx, n.db, q, arg)
		if err != nil {
			return "", err
		}
		if len(names) > 0 {
			name = names[0]
		}
		n.byKey[key] = name
	}
	if name == "" {
		// The place or party itself: a GLN names a party and its premises
		// alike, which master data may name apart.
		return n.described(ctx, uri)
	}
	return name, nil
}

// ledgerFacts are the dates and product name an enterprise wrote in its
// incoming-check or sales books (进货查验 / 销售记录) for a lot, the first
// entry that has them.
type ledgerFacts struct{ production, expiry, product string }

func (n *registryNames) ledger(ctx context.Context, lotID string) (*ledgerFacts, error) {
	rows, err := n.db.Query(ctx, `SELECT production_date, expiry_date, product_name FROM ledger_entries
		WHERE lot_id = ? ORDER BY event_date, id LIMIT 20`, lotID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var f ledgerFacts
	for rows.Next() {
		var prod, exp, name string
		if err := rows.Scan(&prod, &exp, &name); err != nil {
			return nil, err
		}
		f.production = cmp.Or(f.production, prod)
		f.expiry = cmp.Or(f.expiry, exp)
		f.product = cmp.Or(f.product, name)
	}
	return &f, rows.Err()
}

func placeholderList(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// described names an identifier no enterprise is registered under: by the
// name master data gives it, else by its label.
func (n *registryNames) described(ctx context.Context, uri string) (string, error) {
	key := "md:" + uri
	if name, ok := n.byKey[key]; ok {
		return name, nil
	}
	name, err := trace.MasterName(ctx, n.db, uri)
	if err != nil {
		return "", err
	}
	if name == "" {
		name = placeLabel(uri)
	}
	n.byKey[key] = name
	return name, nil
}

// goodsName names goods no registered product names: by the name master
// data gives the lot or item itself, or else its GTIN's class; "" when it
// gives none.
func (n *registryNames) goodsName(ctx context.Context, uri, gtin string) (string, error) {
	ids := []string{uri}
	if gtin != "" {
		ids = append(ids, codes.CanonicalHost+"/01/"+gtin)
	}
	for _, id := range ids {
		key := "goods:" + id
		name, ok := n.byKey[key]
		if !ok {
			var err error
			if name, err = trace.MasterName(ctx, n.db, id); err != nil {
				return "", err
			}
			n.byKey[key] = name
		}
		if name != "" {
			return name, nil
		}
	}
	return "", nil
}

// goodsLabel names goods in a trace by their product (the registered
// product's name, or else master data's, or else the name a platform lot
// URI carries) and their lot or serial; "" when nothing names them.
func (n *registryNames) goodsLabel(ctx context.Context, uri string) (string, error) {
	d, err := codes.ParseDigitalLink(uri)
	if err != nil || d.PrimaryAI != "01" {
		name, err := n.goodsName(ctx, uri, "")
		if name == "" && err == nil {
			// A lot of a product without a GTIN carries its product's
			// name (folded) and its lot in its URI.
			if l, ok := trace.PlatformLotOf(uri); ok {
				name = l.Product + " · " + l.Lot
			}
		}
		return name, err
	}
	t := targetOf(d)
	p, err := n.product(ctx, t.GTIN)
	if err != nil {
		return "", err
	}
	var name string
	if p != nil {
		name = p.name
	} else if name, err = n.goodsName(ctx, uri, t.GTIN); err != nil || name == "" {
		return "", err
	}
	if id := cmp.Or(t.Lot, t.Serial); id != "" {
		return name + " · " + id, nil
	}
	return name, nil
}
