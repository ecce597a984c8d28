package projection

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/toffstech/customer-management/internal/events"
	csvexport "github.com/toffstech/customer-management/internal/export/csv"
)

// The domains read model (domains_v1, read through the view domains) is part of the customers read
// model, like the users: the customers reducer hands it the events on domain subjects, and the
// customer events that change what a domain row copies from its customer (its name, its ancestors)
// update the domains in the same transaction. One row per live domain: its customer, its host and
// its settings, the whole events.DomainSettings JSON that domain.Domain.Apply folds.
//
// A domain row needs its customer's row: domain.added and domain.moved take the customer's name and
// ancestors from customers_v1 and are poison events when the read model does not hold that
// customer. The command that deletes a customer appends customer.deleted before the domain.removed
// of its domains in one atomic batch; the removals need nothing of the customer.
//
// Hosts are not unique here: the log's host reservations make them unique, and a projection must
// not fail on a valid order of events (a host released and claimed again by another domain).

// domainSubjectPrefix starts the subject of every domain's events.
var domainSubjectPrefix = events.DomainSubject("")

// queueDomain adds to b the statements applying ev, an event on the subject of domain idText.
func queueDomain(b *pgx.Batch, ev event, id uuid.UUID, env events.Envelope, payload events.Payload) error {
	version := versionArg(env)
	seq := int64(ev.Seq)

	switch p := payload.(type) {
	case events.DomainAddedV1:
		customer, err := parseID(p.CustomerID)
		if err != nil {
			return &eventError{fmt.Sprintf("domain.added: customer_id: %v", err)}
		}
		settings, err := json.Marshal(p.Settings)
		if err != nil {
			return &eventError{fmt.Sprintf("domain.added: settings: %v", err)}
		}
		cells := csvexport.EncodeCells(csvexport.FromSettings(p.Settings, ""))
		expectOne(b, insertDomainSQL,
			fmt.Sprintf("domain.added for domain %s of customer %s, which the read model does not hold", id, customer),
			id, customer, p.Settings.Host, string(settings), env.Time, version, seq, cells[:])

	case events.DomainUpdatedV1:
		patch, err := settingsPatch(p)
		if err != nil {
			return &eventError{fmt.Sprintf("domain.updated: %v", err)}
		}
		var host any // NULL: unchanged
		if p.Host.Set {
			host = p.Host.Value // a null host is "", as domain.Domain.Apply folds it
		}
		expectOne(b, updateDomainSQL, fmt.Sprintf("domain.updated for domain %s, which the read model does not hold", id),
			id, string(patch), host, env.Time, version, seq, updatedCells(p))

	case events.DomainMovedV1:
		to, err := parseID(p.ToCustomerID)
		if err != nil {
			return &eventError{fmt.Sprintf("domain.moved: to_customer_id: %v", err)}
		}
		expectOne(b, moveDomainSQL,
			fmt.Sprintf("domain.moved moving domain %s to customer %s: the read model does not hold the domain, or not the customer", id, to),
			id, to, env.Time, version, seq)

	case events.DomainRemovedV1:
		// Removing a domain the read model does not hold leaves it as it should be: without it.
		b.Queue(deleteDomainSQL, id)

	default:
		return &eventError{fmt.Sprintf("event type %q on a domain subject", env.Type)}
	}
	return nil
}

// settingsPatch returns the JSON object of the top-level settings a domain.updated changes, each
// whole, to merge into the row's settings with jsonb ||. A null section becomes its zero value, as
// domain.Domain.Apply folds it.
func settingsPatch(p events.DomainUpdatedV1) ([]byte, error) {
	patch := map[string]any{}
	add := func(key string, set bool, v any) {
		if set {
			patch[key] = v
		}
	}
	add("host", p.Host.Set, p.Host.Value)
	add("http_ports", p.HTTPPorts.Set, p.HTTPPorts.Value)
	add("https_ports", p.HTTPSPorts.Set, p.HTTPSPorts.Value)
	add("scheme", p.Scheme.Set, p.Scheme.Value)
	add("origins", p.Origins.Set, p.Origins.Value)
	add("load_balancing", p.LoadBalancing.Set, p.LoadBalancing.Value)
	add("cache", p.Cache.Set, p.Cache.Value)
	add("redirection", p.Redirection.Set, p.Redirection.Value)
	add("ssl", p.SSL.Set, p.SSL.Value)
	add("tls_protocols", p.TLSProtocols.Set, p.TLSProtocols.Value)
	add("waf", p.WAF.Set, p.WAF.Value)
	return json.Marshal(patch)
}

// The cells of csvexport.Cells are the 11 elements of csv_cells (see migration 0009).
var _ [11]struct{} = [csvexport.NumCells]struct{}{}

// updatedCells returns the CSV cells (csvexport.Cells) a domain.updated changes, nil for the cells
// it leaves as they are. Every cell depends on one top-level setting only, so the cells of the
// settings it carries are rendered from those settings alone, each folded as domain.Domain.Apply
// folds it (a null section is its zero value).
func updatedCells(p events.DomainUpdatedV1) []*string {
	var s events.DomainSettings
	s.Host, s.HTTPPorts, s.HTTPSPorts, s.Scheme = p.Host.Value, p.HTTPPorts.Value, p.HTTPSPorts.Value, p.Scheme.Value
	s.Origins, s.Cache, s.Redirection, s.SSL = p.Origins.Value, p.Cache.Value, p.Redirection.Value, p.SSL.Value
	s.TLSProtocols, s.WAF = p.TLSProtocols.Value, p.WAF.Value
	all := csvexport.EncodeCells(csvexport.FromSettings(s, ""))
	cells := make([]*string, csvexport.NumCells)
	set := func(changed bool, idx ...int) {
		for _, i := range idx {
			if changed {
				cells[i] = &all[i]
			}
		}
	}
	set(p.Host.Set, csvexport.CellHost)
	set(p.HTTPPorts.Set, csvexport.CellHTTPPorts)
	set(p.HTTPSPorts.Set, csvexport.CellHTTPSPorts)
	set(p.Scheme.Set, csvexport.CellScheme)
	set(p.Origins.Set, csvexport.CellOrigin, csvexport.CellOriginPort)
	set(p.Cache.Set, csvexport.CellCache)
	set(p.Redirection.Set, csvexport.CellRedirection)
	set(p.SSL.Set, csvexport.CellSSLExpiry)
	set(p.TLSProtocols.Set, csvexport.CellTLS)
	set(p.WAF.Set, csvexport.CellWAF)
	return cells
}

// insertDomainSQL inserts a new domain of customer $2, whose row gives the customer name and
// ancestors. It inserts nothing when the read model does not hold the customer (a poison event),
// and fails with a unique violation on a second domain.added for the same id. The settings go
// through jsonb, which rejects what jsonb cannot hold (a \u0000: a poison event) and stores its
// canonical text.
const insertDomainSQL = `
INSERT INTO domains_v1 (id, customer_id, customer_name, customer_ancestors, host, settings,
                        created_at, updated_at, version, last_seq, csv_cells)
SELECT $1, c.id, c.name, c.ancestors, $3, $4::jsonb::json, $5, $5, coalesce($6::bigint, 1), $7, $8::text[]
FROM customers_v1 c WHERE c.id = $2`

// updateDomainSQL replaces the top-level settings a domain.updated carries ($2, an object) and
// the host when it changed ($3, NULL: unchanged), and the CSV cells of the settings it changed
// ($7, NULL elements: unchanged). Settings are stored as json, merged as jsonb (see migration
// 0006). A row without cells (projected before migration 0009) gets the changed ones and NULL for
// the others, so it stays without a complete line until every setting was changed once.
const updateDomainSQL = `
UPDATE domains_v1 d SET settings = (d.settings::jsonb || $2::jsonb)::json, host = coalesce($3::text, d.host), updated_at = $4,
       version = coalesce($5::bigint, d.version + 1), last_seq = $6,
       csv_cells = (SELECT array_agg(coalesce(u.n, u.o) ORDER BY u.i)
                    FROM unnest($7::text[], d.csv_cells) WITH ORDINALITY AS u(n, o, i))
WHERE d.id = $1`

// moveDomainSQL gives domain $1 to customer $2, taking its name and ancestors from its row; it
// changes nothing when the read model does not hold that customer.
const moveDomainSQL = `
UPDATE domains_v1 d SET customer_id = c.id, customer_name = c.name, customer_ancestors = c.ancestors,
       updated_at = $3, version = coalesce($4::bigint, d.version + 1), last_seq = $5
FROM customers_v1 c
WHERE d.id = $1 AND c.id = $2`

// deleteDomainSQL removes a removed domain.
const deleteDomainSQL = `DELETE FROM domains_v1 WHERE id = $1`

// renameDomainsCustomerSQL copies a renamed customer's ($1) new name onto its domains.
const renameDomainsCustomerSQL = `UPDATE domains_v1 SET customer_name = $2 WHERE customer_id = $1`

// moveSubtreeDomainsSQL recomputes customer_ancestors of the domains of a customer that has just
// moved ($1) and of the domains of its descendants, as moveSubtreeUsersSQL does for users. It runs
// after $1's row was updated, so c holds the new ancestors.
const moveSubtreeDomainsSQL = `
UPDATE domains_v1 d
SET customer_ancestors = CASE WHEN d.customer_id = c.id THEN c.ancestors
                              ELSE d.customer_ancestors[1:array_position(d.customer_ancestors, c.id)] || c.ancestors END
FROM customers_v1 c
WHERE c.id = $1 AND (d.customer_id = $1 OR d.customer_ancestors @> ARRAY[$1::uuid])`
