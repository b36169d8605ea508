package lab

import (
	"context"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// PublicReport is what the public page of a lot says of a test report on
// it: the results of official sampling are public (双随机、一公开), the
// verification code is not — whoever holds the printed report types it on
// the verification page.
type PublicReport struct {
	Number      string `json:"number"`
	Version     int    `json:"version"`
	Institution string `json:"institution"`
	IssuedAt    int64  `json:"issued_at"`
	Conclusion  string `json:"conclusion"`
	Retest      bool   `json:"retest"`
}

// PublicReportsForLot lists the reports in force (issued, neither revoked
// nor superseded) on samples of the lot whose trace identity is lotURI,
// newest first.
func PublicReportsForLot(ctx context.Context, q store.Queryer, lotURI string) ([]PublicReport, error) {
	out := []PublicReport{}
	if lotURI == "" {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT r.number, r.version, i.name, r.issued_at, r.conclusion, r.retest_of
		FROM lab_reports r JOIN lab_samples s ON s.id = r.sample_id JOIN lab_institutions i ON i.id = r.institution_id
		WHERE s.lot_uri = ? AND r.status = ? ORDER BY r.issued_at DESC, r.number LIMIT 50`, lotURI, StatusIssued)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p PublicReport
		var retestOf string
		if err := rows.Scan(&p.Number, &p.Version, &p.Institution, &p.IssuedAt, &p.Conclusion, &retestOf); err != nil {
			return nil, err
		}
		p.Retest = retestOf != ""
		out = append(out, p)
	}
	return out, rows.Err()
}
