package projectiontest

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// LiveDomains returns the ids of the live domains Writer added, in creation order.
func (w *Writer) LiveDomains() []string { return append([]string(nil), w.domainIDs...) }

// Domain returns the customer and the settings of a live domain as Writer last wrote them; ok is
// false when Writer holds no such live domain.
func (w *Writer) Domain(id string) (customer string, s events.DomainSettings, ok bool) {
	d := w.domains[id]
	if d == nil {
		return "", events.DomainSettings{}, false
	}
	return d.customer, d.settings, true
}

// AddDomain appends the addition of a domain to customer as the command layer does, in one atomic
// batch: domain.added, the claim of its host and its addition to the customer's member list. It
// returns the domain's id and the last sequence. Settings are written as given (the command layer
// normalizes them first).
func (w *Writer) AddDomain(ctx context.Context, customer string, s events.DomainSettings) (string, uint64, error) {
	id := uuid.Must(uuid.NewV7()).String()
	seq, err := w.store.Append(ctx, []eventstore.Message{
		w.msg(events.DomainSubject(id), events.AggregateDomain, id, events.DomainAddedV1{CustomerID: customer, Settings: s}),
		w.hostReservation(s.Host, id, true),
		w.msg(events.MembersSubject(customer), events.AggregateMembers, customer, events.MembersDomainAddedV1{DomainID: id}),
	})
	if err != nil {
		return "", 0, err
	}
	w.domains[id] = &dnode{customer: customer, settings: s}
	w.domainIDs = append(w.domainIDs, id)
	w.nodes[customer].domains[id] = true
	return id, seq, nil
}

// UpdateDomain appends a domain.updated carrying the sections in upd; a changed host releases the
// old host and claims the new one in the same batch.
func (w *Writer) UpdateDomain(ctx context.Context, id string, upd events.DomainUpdatedV1) (uint64, error) {
	d := w.domains[id]
	batch := []eventstore.Message{w.msg(events.DomainSubject(id), events.AggregateDomain, id, upd)}
	if upd.Host.Set && upd.Host.Value != d.settings.Host {
		batch = append(batch, w.hostReservation(d.settings.Host, id, false), w.hostReservation(upd.Host.Value, id, true))
	}
	seq, err := w.store.Append(ctx, batch)
	if err != nil {
		return 0, err
	}
	folded := domain.Domain{Settings: d.settings}
	folded.Apply(domain.Recorded{Payload: upd})
	d.settings = folded.Settings
	return seq, nil
}

// MoveDomain appends the move of a domain to customer to: domain.moved, its removal from the old
// customer's member list and its addition to the new one's.
func (w *Writer) MoveDomain(ctx context.Context, id, to string) (uint64, error) {
	d := w.domains[id]
	from := d.customer
	seq, err := w.store.Append(ctx, []eventstore.Message{
		w.msg(events.DomainSubject(id), events.AggregateDomain, id, events.DomainMovedV1{FromCustomerID: from, ToCustomerID: to}),
		w.msg(events.MembersSubject(from), events.AggregateMembers, from, events.MembersDomainRemovedV1{DomainID: id}),
		w.msg(events.MembersSubject(to), events.AggregateMembers, to, events.MembersDomainAddedV1{DomainID: id}),
	})
	if err != nil {
		return 0, err
	}
	delete(w.nodes[from].domains, id)
	w.nodes[to].domains[id] = true
	d.customer = to
	return seq, nil
}

// RemoveDomain appends the removal of a domain: domain.removed, the release of its host and its
// removal from its customer's member list.
func (w *Writer) RemoveDomain(ctx context.Context, id string) (uint64, error) {
	d := w.domains[id]
	seq, err := w.store.Append(ctx, []eventstore.Message{
		w.msg(events.DomainSubject(id), events.AggregateDomain, id, events.DomainRemovedV1{}),
		w.hostReservation(d.settings.Host, id, false),
		w.msg(events.MembersSubject(d.customer), events.AggregateMembers, d.customer, events.MembersDomainRemovedV1{DomainID: id}),
	})
	if err != nil {
		return 0, err
	}
	delete(w.nodes[d.customer].domains, id)
	delete(w.domains, id)
	w.domainIDs = remove(w.domainIDs, id)
	return seq, nil
}

// DomainStep appends one random valid domain command: mostly additions early on, then updates of
// some sections (sometimes the host, rarely a section set to null), moves to another customer and
// removals. Without a live customer it creates one.
func (w *Writer) DomainStep(ctx context.Context, rng *rand.Rand) (uint64, error) {
	if len(w.ids) == 0 {
		_, seq, err := w.Create(ctx, fmt.Sprintf("%s %d", names[rng.IntN(len(names))], rng.IntN(1000)), "", "")
		return seq, err
	}
	if len(w.domainIDs) < 3 || rng.IntN(100) < 35 {
		_, seq, err := w.AddDomain(ctx, w.ids[rng.IntN(len(w.ids))], w.RandomDomainSettings(rng))
		return seq, err
	}
	id := w.domainIDs[rng.IntN(len(w.domainIDs))]
	switch r := rng.IntN(100); {
	case r < 55:
		return w.UpdateDomain(ctx, id, w.randomUpdate(rng))
	case r < 80:
		to := w.ids[rng.IntN(len(w.ids))]
		if to == w.domains[id].customer {
			return w.UpdateDomain(ctx, id, w.randomUpdate(rng))
		}
		return w.MoveDomain(ctx, id, to)
	default:
		return w.RemoveDomain(ctx, id)
	}
}

// randomUpdate changes one or more random sections of a domain, each given whole.
func (w *Writer) randomUpdate(rng *rand.Rand) events.DomainUpdatedV1 {
	s := w.RandomDomainSettings(rng)
	var u events.DomainUpdatedV1
	pick := func() bool { return rng.IntN(4) == 0 }
	if pick() {
		u.Host = events.Some(s.Host)
	}
	if pick() {
		u.HTTPPorts = events.Some(s.HTTPPorts)
	}
	if pick() {
		u.HTTPSPorts = events.Some(s.HTTPSPorts)
	}
	if pick() {
		u.Scheme = events.Some(s.Scheme)
	}
	if pick() {
		u.Origins = events.Some(s.Origins)
	}
	if pick() {
		u.LoadBalancing = events.Some(s.LoadBalancing)
	}
	if pick() {
		u.Cache = events.Some(s.Cache)
		if rng.IntN(8) == 0 {
			u.Cache = events.Null[events.CacheSettings]()
		}
	}
	if pick() {
		u.Redirection = events.Some(s.Redirection)
	}
	if pick() {
		u.SSL = events.Some(s.SSL)
	}
	if pick() {
		u.TLSProtocols = events.Some(s.TLSProtocols)
		if rng.IntN(8) == 0 {
			u.TLSProtocols = events.Null[[]string]()
		}
	}
	if pick() {
		u.WAF = events.Some(s.WAF)
	}
	if !u.Host.Set && !u.HTTPPorts.Set && !u.HTTPSPorts.Set && !u.Scheme.Set && !u.Origins.Set && !u.LoadBalancing.Set &&
		!u.Cache.Set && !u.Redirection.Set && !u.SSL.Set && !u.TLSProtocols.Set && !u.WAF.Set {
		u.Cache = events.Some(s.Cache)
	}
	return u
}

// RandomDomainSettings returns valid, normalized settings with a host no other call returned
// (lower-case, some of them punycode), and values that exercise every field: several origins,
// rules with quotes, commas and accents, expiry dates or none, subsets of the TLS protocols.
func (w *Writer) RandomDomainSettings(rng *rand.Rand) events.DomainSettings {
	w.serial++
	s := domain.DefaultDomainSettings()
	s.Host = fmt.Sprintf("%s.s%d.%s", hostPrefixes[rng.IntN(len(hostPrefixes))], w.serial, hostSuffixes[rng.IntN(len(hostSuffixes))])
	s.HTTPPorts = []int{80}
	if rng.IntN(3) == 0 {
		s.HTTPPorts = append(s.HTTPPorts, 8080)
	}
	s.HTTPSPorts = []int{443}
	if rng.IntN(3) == 0 {
		s.HTTPSPorts = append(s.HTTPSPorts, 6066+rng.IntN(100))
	}
	s.Scheme = domain.Schemes[rng.IntN(len(domain.Schemes))]
	s.Origins = nil
	for i := range 1 + rng.IntN(3) {
		o := events.Origin{Type: "IPv4", Address: fmt.Sprintf("203.0.113.%d", 1+rng.IntN(250)), Port: 80 + 363*rng.IntN(2), Enabled: rng.IntN(4) > 0, Backup: i > 0 && rng.IntN(2) == 0}
		if rng.IntN(3) == 0 {
			o.Type, o.Address = "FQDN", fmt.Sprintf("origin%d.example.net", rng.IntN(100))
		}
		s.Origins = append(s.Origins, o)
	}
	s.LoadBalancing = domain.LoadBalancings[rng.IntN(len(domain.LoadBalancings))]
	s.Cache = events.CacheSettings{Enabled: rng.IntN(2) == 0, QueryString: rng.IntN(2) == 0, TTLMinutes: 5 * rng.IntN(100),
		Extensions: []string{"css", "js", "png"}[:rng.IntN(4)], FollowOrigin: rng.IntN(2) == 0, ForceParams: []string{"v", "lang"}[:rng.IntN(3)]}
	s.Redirection = events.Redirection{DomainFlattening: rng.IntN(2) == 0,
		RedirectURL: events.RedirectURL{Enabled: rng.IntN(4) == 0, Scheme: "HTTPS", URL: "www.example.com"}, Rules: []events.RedirectRule{}}
	for i := range rng.IntN(3) {
		s.Redirection.Rules = append(s.Redirection.Rules, events.RedirectRule{
			Name: ruleNames[rng.IntN(len(ruleNames))], Type: domain.RuleTypes[rng.IntN(2)], StatusCode: 301 + rng.IntN(2),
			URL: fmt.Sprintf("https://example.com/r/%d", i), Priority: i + 1})
	}
	s.SSL = events.SSLSettings{Type: domain.SSLTypes[rng.IntN(2)]}
	if rng.IntN(2) == 0 {
		s.SSL.ExpiresAt = fmt.Sprintf("20%02d-%02d-%02d", 26+rng.IntN(5), 1+rng.IntN(12), 1+rng.IntN(28))
	}
	s.TLSProtocols = nil
	for _, p := range domain.TLSProtocols {
		if rng.IntN(2) == 0 {
			s.TLSProtocols = append(s.TLSProtocols, p)
		}
	}
	if len(s.TLSProtocols) == 0 {
		s.TLSProtocols = []string{"TLSv1.3"}
	}
	s.WAF.Enabled = rng.IntN(2) == 0
	s.WAF.Mode = domain.WAFModes[rng.IntN(2)]
	for _, a := range domain.OWASPItems {
		s.WAF.OWASP[a] = rng.IntN(2) == 0
	}
	if rng.IntN(2) == 0 {
		s.WAF.RuleAction = domain.WAFActions[rng.IntN(len(domain.WAFActions))]
	}
	return s
}

var (
	hostPrefixes = []string{"www", "shop", "api", "xn--bcher-kva", "cdn-1"}
	hostSuffixes = []string{"example.com", "example.org", "xn--p1ai", "example.co.uk"}
	ruleNames    = []string{"old-blog", `say "hi"`, "a, b", "café", "=SUM(A1)"}
)
