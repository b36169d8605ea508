package web

import (
	"context"
	"slices"
	"time"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/genealogy"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

// How many origins the public page lists.
const publicOriginLimit = 20

// publicOrigins are the earliest sources of the target found by tracing it
// backward: the goods nothing further was traced into (raw materials,
// ingredients, or the lot itself when it was only passed on), each with the
// parties that supplied it.
func (s *Server) publicOrigins(ctx context.Context, t dlTarget, reg *registryNames) ([]publicOrigin, error) {
	out := []publicOrigin{}
	ids, err := genealogy.NodeIDs(ctx, s.db, []string{t.ID})
	if err != nil {
		return nil, err
	}
	start, ok := ids[t.ID]
	if !ok {
		return out, nil
	}
	res, err := genealogy.Backward(ctx, s.db, []int64{start}, genealogy.Options{})
	if err != nil {
		return nil, err
	}
	// A goods node on the way to another goods node is not a source.
	through := map[int64]bool{}
	for _, n := range res.Nodes {
		if n.Party {
			continue
		}
		for _, e := range res.Path(n.ID) {
			for _, id := range []int64{e.Src, e.Dst} {
				if id != n.ID {
					through[id] = true
				}
			}
		}
	}
	for _, n := range res.Nodes {
		if n.Party || through[n.ID] || n.ID == start && len(n.Parties) == 0 {
			continue
		}
		o := publicOrigin{ID: n.URI, Name: n.URI}
		if d, err := codes.ParseDigitalLink(n.URI); err == nil && d.PrimaryAI == "01" {
			ot := targetOf(d)
			o.GTIN, o.Lot = ot.GTIN, ot.Lot
			o.Name = "GTIN " + ot.GTIN
			if p, err := reg.product(ctx, ot.GTIN); err != nil {
				return nil, err
			} else if p != nil {
				o.Name = p.name
			} else if name, err := reg.goodsName(ctx, n.URI, ot.GTIN); err != nil {
				return nil, err
			} else if name != "" {
				o.Name = name
			}
		} else if name, err := reg.goodsName(ctx, n.URI, ""); err != nil {
			return nil, err
		} else if name != "" {
			o.Name = name
		} else if l, ok := trace.PlatformLotOf(n.URI); ok {
			o.Name, o.Lot = l.Product, l.Lot
		}
		for _, pid := range n.Parties {
			p, ok := res.Node(pid)
			if !ok {
				continue
			}
			name, err := reg.partyName(ctx, p.URI)
			if err != nil {
				return nil, err
			}
			// An enterprise is often both the party and the place a lot
			// came from: name it once.
			if !slices.Contains(o.Suppliers, name) {
				o.Suppliers = append(o.Suppliers, name)
			}
		}
		out = append(out, o)
		if len(out) == publicOriginLimit {
			break
		}
	}
	return out, nil
}

// publicRecall is the recall a lot is under, as its public page shows it.
type publicRecall struct {
	Level  int    `json:"level"`
	Reason string `json:"reason"`
	Since  string `json:"since"` // YYYY-MM-DD
}

// publicRecall tells whether the target is recalled or in an open recall's
// scope.
func (s *Server) publicRecall(ctx context.Context, t dlTarget) (*publicRecall, error) {
	r, err := recall.StateOfLot(ctx, s.db, t.ID)
	if err != nil || r == nil {
		return nil, err
	}
	return &publicRecall{Level: r.Level, Reason: r.Reason,
		Since: time.UnixMilli(r.OpenedAt).In(shanghai).Format(time.DateOnly)}, nil
}
