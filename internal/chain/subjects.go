package chain

import (
	"context"
	"fmt"
	"slices"

	"github.com/toffstech/customer-management/internal/eventstore"
)

// VerifySubjects verifies the chains of the given aggregates only: it loads each subject's events
// whole and checks them in stream order. The report's digest covers these events, in stream
// order; a subject without events adds nothing.
func VerifySubjects(ctx context.Context, store *eventstore.Store, subjects []string) (Report, error) {
	var all []eventstore.Stored
	for _, subj := range subjects {
		stored, err := store.Load(ctx, subj, 0)
		if err != nil {
			return Report{}, fmt.Errorf("chain: load %s: %w", subj, err)
		}
		all = append(all, stored...)
	}
	slices.SortFunc(all, func(a, b eventstore.Stored) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	v := NewVerifier()
	for _, s := range all {
		v.add(s.Seq, s.Subject, s.Hash, s.Envelope, nil)
	}
	return v.Report(), nil
}
