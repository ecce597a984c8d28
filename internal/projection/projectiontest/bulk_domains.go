package projectiontest

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// AppendDomains appends n domain.added events of customer cust, in atomic batches of 500, each
// domain with the same realistic settings (two origins, cache extensions, an SSL expiry) and its
// own host. It writes no host reservations: it loads the read model for benchmarks (the rebuild's
// and cmd/bench's exports), which read domains, not reservations.
func AppendDomains(ctx context.Context, store *eventstore.Store, cust string, n int) error {
	for done := 0; done < n; {
		msgs := make([]eventstore.Message, 0, 500)
		for ; len(msgs) < 500 && done < n; done++ {
			st := domain.DefaultDomainSettings()
			st.Host = fmt.Sprintf("h%07d.%s.example", done, cust[len(cust)-8:])
			st.Origins = []events.Origin{{Type: "IPv4", Address: "203.0.113.10", Port: 443, Enabled: true}, {Type: "FQDN", Address: "origin.example.com", Port: 8443, Backup: true}}
			st.Cache.Extensions = []string{"css", "js", "png"}
			st.SSL.ExpiresAt = "2027-01-31"
			data, v, err := events.MarshalData(events.DomainAddedV1{CustomerID: cust, Settings: st})
			if err != nil {
				return err
			}
			id := uuid.Must(uuid.NewV7()).String()
			msgs = append(msgs, eventstore.Message{Subject: events.DomainSubject(id), Expect: eventstore.Seq(0), Envelope: events.Envelope{
				ID: uuid.Must(uuid.NewV7()).String(), Type: events.DomainAdded, Time: time.Now().UTC(), SchemaVersion: v, Data: data,
				AggregateType: events.AggregateDomain, AggregateID: id, AggregateVersion: 1, ActorType: events.ActorSystem}})
		}
		if _, err := store.Append(ctx, msgs); err != nil {
			return err
		}
	}
	return nil
}
