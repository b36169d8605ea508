package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// ListReportsWithContent is ListReports with each report's content, for
// the JSON API, whose clients read a report's items and parties from the
// list rather than fetching every report. It reads the contents of exactly
// the reports ListReports let the caller see.
func ListReportsWithContent(ctx context.Context, q store.Queryer, who *auth.User, f ReportFilter) ([]Report, int, error) {
	rs, total, err := ListReports(ctx, q, who, f)
	if err != nil || len(rs) == 0 {
		return rs, total, err
	}
	at := make(map[string]int, len(rs))
	args := make([]any, 0, len(rs))
	for i, r := range rs {
		at[r.ID] = i
		args = append(args, r.ID)
	}
	rows, err := q.Query(ctx, `SELECT id, content FROM lab_reports WHERE id IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+`)`, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, content string
		if err := rows.Scan(&id, &content); err != nil {
			return nil, 0, err
		}
		if content == "" {
			continue
		}
		c := &Content{}
		if err := json.Unmarshal([]byte(content), c); err != nil {
			return nil, 0, fmt.Errorf("lab report %s content: %w", id, err)
		}
		rs[at[id]].Content = c
	}
	return rs, total, rows.Err()
}
