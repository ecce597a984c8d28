package domain

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/toffstech/customer-management/internal/events"
)

// Domain is a CDN-served domain of a customer (the rows of the guide's CSV export).
type Domain struct {
	ID         string
	CustomerID string
	Settings   events.DomainSettings
	Deleted    bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    uint64
	LastSeq    uint64
}

// Exists reports whether the domain was added and not removed.
func (d *Domain) Exists() bool { return d != nil && d.Version > 0 && !d.Deleted }

// Apply folds one of the domain's events into its state.
func (d *Domain) Apply(r Recorded) {
	switch p := r.Payload.(type) {
	case events.DomainAddedV1:
		d.CustomerID, d.Settings = p.CustomerID, p.Settings
		d.CreatedAt = r.Time
	case events.DomainUpdatedV1:
		s := &d.Settings
		setOpt(&s.Host, p.Host)
		setOpt(&s.HTTPPorts, p.HTTPPorts)
		setOpt(&s.HTTPSPorts, p.HTTPSPorts)
		setOpt(&s.Scheme, p.Scheme)
		setOpt(&s.Origins, p.Origins)
		setOpt(&s.LoadBalancing, p.LoadBalancing)
		setOpt(&s.Cache, p.Cache)
		setOpt(&s.Redirection, p.Redirection)
		setOpt(&s.SSL, p.SSL)
		setOpt(&s.TLSProtocols, p.TLSProtocols)
		setOpt(&s.WAF, p.WAF)
	case events.DomainMovedV1:
		d.CustomerID = p.ToCustomerID
	case events.DomainRemovedV1:
		d.Deleted = true
	}
	d.UpdatedAt = r.Time
	d.Version++
	if r.Version != 0 {
		d.Version = r.Version
	}
	d.LastSeq = r.Seq
}

func setOpt[T any](dst *T, o events.Opt[T]) {
	if o.Set {
		*dst = o.Value
	}
}

// The values the guide lists, exactly.
var (
	Schemes        = []string{"HTTP", "HTTPS"}
	OriginTypes    = []string{"IPv4", "FQDN"}
	LoadBalancings = []string{"Round Robin", "Backup", "IP Hash", "Least Connected"}
	SSLTypes       = []string{"Auto SSL", "Upload SSL"}
	TLSProtocols   = []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
	WAFModes       = []string{"Detection", "Block"}
	WAFActions     = []string{"Allow", "Block", "JS Challenge", "Challenge (Captcha)", "Log"}
	RuleTypes      = []string{"Static", "Dynamic"}
	OWASPItems     = []string{"A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "A10"}
)

// DefaultDomainSettings are the settings of a new domain before the client's own.
func DefaultDomainSettings() events.DomainSettings {
	owasp := map[string]bool{}
	for _, a := range OWASPItems {
		owasp[a] = false
	}
	return events.DomainSettings{
		HTTPPorts: []int{80}, HTTPSPorts: []int{443}, Scheme: "HTTPS", Origins: []events.Origin{},
		LoadBalancing: "Round Robin",
		Cache:         events.CacheSettings{Enabled: true, TTLMinutes: 120, Extensions: []string{}, ForceParams: []string{}},
		Redirection:   events.Redirection{RedirectURL: events.RedirectURL{Scheme: "HTTPS"}, Rules: []events.RedirectRule{}},
		SSL:           events.SSLSettings{Type: "Auto SSL"},
		TLSProtocols:  []string{"TLSv1.2", "TLSv1.3"},
		WAF:           events.WAFSettings{Mode: "Detection", OWASP: owasp},
	}
}

// NormalizeDomainSettings checks every setting, naming each offending field (e.g.
// "origins[1].port"), and returns them normalized: the host lower-case punycode, TLS protocols in
// canonical order, extensions lower-case.
func NormalizeDomainSettings(s events.DomainSettings) (events.DomainSettings, error) {
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
	}
	if h, detail := normalizeHost(s.Host); detail != "" {
		bad("host", "%s", detail)
	} else {
		s.Host = h
	}
	checkPorts := func(field string, ports []int, forbidden int) {
		seen := map[int]bool{}
		for i, p := range ports {
			f := fmt.Sprintf("%s[%d]", field, i)
			switch {
			case p < 1 || p > 65535:
				bad(f, "must be a port from 1 to 65535")
			case p == forbidden:
				bad(f, "must not be %d", forbidden)
			case seen[p]:
				bad(f, "%d is listed twice", p)
			}
			seen[p] = true
		}
	}
	checkPorts("http_ports", s.HTTPPorts, 443)
	checkPorts("https_ports", s.HTTPSPorts, 80)
	if len(s.HTTPPorts)+len(s.HTTPSPorts) == 0 {
		bad("http_ports", "a domain needs at least one HTTP or HTTPS port")
	}
	oneOf(bad, "scheme", s.Scheme, Schemes)
	if len(s.Origins) == 0 {
		bad("origins", "a domain needs at least one origin")
	}
	for i, o := range s.Origins {
		f := fmt.Sprintf("origins[%d]", i)
		oneOf(bad, f+".type", o.Type, OriginTypes)
		switch o.Type {
		case "IPv4":
			if a, err := netip.ParseAddr(o.Address); err != nil || !a.Is4() {
				bad(f+".address", "must be an IPv4 address like 203.0.113.10")
			}
		case "FQDN":
			if h, detail := normalizeHost(o.Address); detail != "" {
				bad(f+".address", "%s", detail)
			} else {
				s.Origins[i].Address = h
			}
		}
		if o.Port < 1 || o.Port > 65535 {
			bad(f+".port", "must be a port from 1 to 65535")
		}
	}
	oneOf(bad, "load_balancing", s.LoadBalancing, LoadBalancings)
	if s.Cache.TTLMinutes < 0 || s.Cache.TTLMinutes > 525600 {
		bad("cache.ttl_minutes", "must be from 0 to 525600 minutes (a year)")
	}
	for i, e := range s.Cache.Extensions {
		e = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(e), "."))
		if e == "" || len(e) > 16 || strings.IndexFunc(e, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) >= 0 {
			bad(fmt.Sprintf("cache.extensions[%d]", i), "must be a file extension of letters and digits, like css")
			continue
		}
		s.Cache.Extensions[i] = e
	}
	for i, p := range s.Cache.ForceParams {
		if strings.TrimSpace(p) == "" || utf8.RuneCountInString(p) > 100 {
			bad(fmt.Sprintf("cache.force_params[%d]", i), "must be a query parameter name of at most 100 characters")
		}
	}
	if r := s.Redirection.RedirectURL; r.Enabled {
		oneOf(bad, "redirection.redirect_url.scheme", r.Scheme, Schemes)
		if !validURLOrHost(r.URL) {
			bad("redirection.redirect_url.url", "must be the URL or host to redirect to")
		}
	}
	for i, r := range s.Redirection.Rules {
		f := fmt.Sprintf("redirection.rules[%d]", i)
		if strings.TrimSpace(r.Name) == "" || utf8.RuneCountInString(r.Name) > 100 {
			bad(f+".name", "is required, at most 100 characters")
		}
		oneOf(bad, f+".type", r.Type, RuleTypes)
		if r.StatusCode != 301 && r.StatusCode != 302 {
			bad(f+".status_code", "must be 301 or 302")
		}
		if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(f+".url", "must be an absolute http or https URL")
		}
		if r.Priority < 1 {
			bad(f+".priority", "must be 1 or more")
		}
	}
	oneOf(bad, "ssl.type", s.SSL.Type, SSLTypes)
	if s.SSL.ExpiresAt != "" {
		if _, err := time.Parse(time.DateOnly, s.SSL.ExpiresAt); err != nil {
			bad("ssl.expires_at", "must be a date YYYY-MM-DD, or absent")
		}
	}
	if len(s.TLSProtocols) == 0 {
		bad("tls_protocols", "needs at least one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3")
	}
	seen := map[string]bool{}
	for i, p := range s.TLSProtocols {
		if !slices.Contains(TLSProtocols, p) {
			bad(fmt.Sprintf("tls_protocols[%d]", i), "must be one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3")
		} else if seen[p] {
			bad(fmt.Sprintf("tls_protocols[%d]", i), "%s is listed twice", p)
		}
		seen[p] = true
	}
	var tls []string
	for _, p := range TLSProtocols {
		if seen[p] {
			tls = append(tls, p)
		}
	}
	s.TLSProtocols = tls
	oneOf(bad, "waf.mode", s.WAF.Mode, WAFModes)
	if s.WAF.RuleAction != "" {
		oneOf(bad, "waf.rule_action", s.WAF.RuleAction, WAFActions)
	}
	for k := range s.WAF.OWASP {
		if !slices.Contains(OWASPItems, k) {
			bad("waf.owasp."+k, "is not one of A01…A10")
		}
	}
	if err := InvalidFields(errs...); err != nil {
		return events.DomainSettings{}, err
	}
	return s, nil
}

func oneOf(bad func(string, string, ...any), field, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		bad(field, "must be one of %s", strings.Join(allowed, ", "))
	}
}

// normalizeHost lower-cases a host name, turns an internationalized one into punycode, and checks
// it is a fully qualified domain name; it returns the reason when it is not.
func normalizeHost(h string) (string, string) {
	h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	if h == "" {
		return "", "is required"
	}
	ascii, err := idna.Lookup.ToASCII(h)
	if err != nil {
		return "", "must be a valid domain name like www.example.com"
	}
	if len(ascii) > 253 {
		return "", "must be at most 253 characters"
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return "", "must be a fully qualified domain name like www.example.com"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.IndexFunc(l, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }) >= 0 {
			return "", "must be a valid domain name like www.example.com"
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", "must end in a top-level domain, not a number"
	}
	return ascii, ""
}

func validURLOrHost(s string) bool {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return true
	}
	_, detail := normalizeHost(s)
	return detail == ""
}

// DecideAddDomain decides the addition of domain id to a customer.
func DecideAddDomain(id string, customer *Customer, s events.DomainSettings, hostHolder string) ([]events.Payload, error) {
	if !customer.Exists() {
		return nil, customerNotFound(customer.ID)
	}
	if hostHolder != "" && hostHolder != id {
		return nil, duplicateHost(s.Host)
	}
	return []events.Payload{events.DomainAddedV1{CustomerID: customer.ID, Settings: s}}, nil
}

// DecideUpdateDomain compares new, normalized settings with the current ones and returns the
// top-level sections that changed; none when nothing did.
func (d *Domain) DecideUpdateDomain(s events.DomainSettings, hostHolder string) ([]events.Payload, error) {
	if !d.Exists() {
		return nil, domainNotFound(d.ID)
	}
	cur := d.Settings
	var u events.DomainUpdatedV1
	changed := false
	diff := func(a, b any, set func()) {
		if !equalJSON(a, b) {
			set()
			changed = true
		}
	}
	diff(cur.Host, s.Host, func() { u.Host = events.Some(s.Host) })
	diff(cur.HTTPPorts, s.HTTPPorts, func() { u.HTTPPorts = events.Some(s.HTTPPorts) })
	diff(cur.HTTPSPorts, s.HTTPSPorts, func() { u.HTTPSPorts = events.Some(s.HTTPSPorts) })
	diff(cur.Scheme, s.Scheme, func() { u.Scheme = events.Some(s.Scheme) })
	diff(cur.Origins, s.Origins, func() { u.Origins = events.Some(s.Origins) })
	diff(cur.LoadBalancing, s.LoadBalancing, func() { u.LoadBalancing = events.Some(s.LoadBalancing) })
	diff(cur.Cache, s.Cache, func() { u.Cache = events.Some(s.Cache) })
	diff(cur.Redirection, s.Redirection, func() { u.Redirection = events.Some(s.Redirection) })
	diff(cur.SSL, s.SSL, func() { u.SSL = events.Some(s.SSL) })
	diff(cur.TLSProtocols, s.TLSProtocols, func() { u.TLSProtocols = events.Some(s.TLSProtocols) })
	diff(cur.WAF, s.WAF, func() { u.WAF = events.Some(s.WAF) })
	if !changed {
		return nil, nil
	}
	if u.Host.Set && hostHolder != "" && hostHolder != d.ID {
		return nil, duplicateHost(s.Host)
	}
	return []events.Payload{u}, nil
}

// DecideMoveDomain moves the domain to another customer.
func (d *Domain) DecideMoveDomain(to *Customer) ([]events.Payload, error) {
	if !d.Exists() {
		return nil, domainNotFound(d.ID)
	}
	if !to.Exists() {
		return nil, InvalidFields(FieldError{Field: "customer_id", Detail: "no such customer"})
	}
	if to.ID == d.CustomerID {
		return nil, nil
	}
	return []events.Payload{events.DomainMovedV1{FromCustomerID: d.CustomerID, ToCustomerID: to.ID}}, nil
}

// DecideRemoveDomain removes the domain; reason is "customer_deleted" when it goes with its customer.
func (d *Domain) DecideRemoveDomain(reason string) ([]events.Payload, error) {
	if !d.Exists() {
		return nil, domainNotFound(d.ID)
	}
	return []events.Payload{events.DomainRemovedV1{Reason: reason}}, nil
}

func duplicateHost(host string) error {
	return &Error{Code: Conflict, Message: "The host " + host + " is already served for a customer.", Details: map[string]any{"field": "host"}}
}

func domainNotFound(id string) error {
	return &Error{Code: NotFound, Message: "Domain not found.", Details: map[string]any{"id": id}}
}
