package subscribe

import (
	"errors"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/trace"
)

var (
	// ErrNoQuery: the owner has no named query of that name.
	ErrNoQuery = errors.New("subscribe: no such named query")
	// ErrNoSubscription: the query has no subscription of that ID.
	ErrNoSubscription = errors.New("subscribe: no such subscription")
	// ErrExists: the owner already has a query of that name.
	ErrExists = errors.New("subscribe: query name taken")
)

// Invalid refuses a query definition or a subscription request. Type is the
// REST binding's exception (QueryValidationException,
// SubscriptionControlsException); each problem names the field with a JSON
// pointer into the request body.
type Invalid struct {
	Type     string
	Problems []trace.Problem
}

func (e *Invalid) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Pointer + ": " + p.Rule
		if p.Detail != "" {
			parts[i] += " (" + p.Detail + ")"
		}
	}
	return "epcis: " + e.Type + ": " + strings.Join(parts, "; ")
}

const (
	queryInvalid        = "QueryValidationException"
	subscriptionInvalid = "SubscriptionControlsException"
)

func invalidQuery(problems ...trace.Problem) *Invalid {
	return &Invalid{Type: queryInvalid, Problems: problems}
}

func invalidSubscription(problems ...trace.Problem) *Invalid {
	return &Invalid{Type: subscriptionInvalid, Problems: problems}
}
