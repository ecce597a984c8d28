package csvexport

import "time"

// Row is one domain as the CSV export sees it: one Row becomes one line of the file. Its fields
// mirror the JSON shape of a domain in the API contract (the JSON name is given with each field),
// so the domain aggregate maps onto it field by field.
type Row struct {
	// Host is the domain's host name, IDNs in punycode ("host").
	Host string
	// HTTPPorts are the ports served over HTTP ("http_ports").
	HTTPPorts []int
	// HTTPSPorts are the ports served over HTTPS ("https_ports").
	HTTPSPorts []int
	// Scheme is the protocol used towards the origins, HTTP or HTTPS ("scheme").
	Scheme string
	// CustomerName is the name of the customer owning the domain.
	CustomerName string
	// Origins are the servers the CDN fetches from ("origins").
	Origins []Origin
	// LoadBalancing is how requests are spread over the origins ("load_balancing"). The CSV has no
	// column for it; it is carried so that Row mirrors the domain.
	LoadBalancing string
	// Cache is the cache configuration ("cache").
	Cache Cache
	// Redirection is the redirection configuration ("redirection").
	Redirection Redirection
	// SSL is the certificate configuration ("ssl").
	SSL SSL
	// TLSProtocols are the TLS versions offered, out of TLSv1, TLSv1.1, TLSv1.2 and TLSv1.3
	// ("tls_protocols").
	TLSProtocols []string
	// WAF is the web application firewall configuration ("waf").
	WAF WAF
}

// Origin is one origin server of a domain.
type Origin struct {
	// Type is IPv4 or FQDN ("type").
	Type string
	// Address is the IPv4 address or host name ("address").
	Address string
	// Port is the origin's port ("port").
	Port int
	// Enabled reports whether the origin receives traffic ("enabled").
	Enabled bool
	// Backup reports whether the origin is only used when the others fail ("backup").
	Backup bool
}

// Cache is the cache configuration of a domain.
type Cache struct {
	// Enabled reports whether responses are cached at all ("enabled").
	Enabled bool
	// QueryString reports whether the query string is part of the cache key; off means it is
	// ignored ("query_string").
	QueryString bool
	// TTLMinutes is the caching time in minutes ("ttl_minutes").
	TTLMinutes int
	// Extensions are the file extensions that are cached ("extensions").
	Extensions []string
	// FollowOrigin reports whether the origin's cache headers take precedence ("follow_origin").
	FollowOrigin bool
	// ForceParams are the query parameters that are always part of the cache key ("force_params").
	ForceParams []string
}

// Redirection is the redirection configuration of a domain.
type Redirection struct {
	// DomainFlattening reports whether the root domain redirects to www ("domain_flattening").
	DomainFlattening bool
	// RedirectURL sends all traffic to another URL ("redirect_url").
	RedirectURL RedirectURL
	// Rules are the custom redirection rules ("rules").
	Rules []RedirectRule
}

// RedirectURL is a redirection of all of a domain's traffic to another URL.
type RedirectURL struct {
	// Enabled reports whether the redirection is active ("enabled").
	Enabled bool
	// Scheme is HTTP or HTTPS ("scheme").
	Scheme string
	// URL is the target, without the scheme ("url").
	URL string
}

// RedirectRule is one custom redirection rule.
type RedirectRule struct {
	// Name names the rule ("name").
	Name string
	// Type is Static or Dynamic ("type").
	Type string
	// StatusCode is 301 or 302 ("status_code").
	StatusCode int
	// URL is the target URL ("url").
	URL string
	// Priority orders the rules, 1 first ("priority").
	Priority int
}

// SSL is the certificate configuration of a domain.
type SSL struct {
	// Type is Auto SSL or Upload SSL ("type"). The CSV has no column for it.
	Type string
	// ExpiresAt is the certificate's expiry date, or nil when there is none ("expires_at"). Only
	// its calendar date, in its own location, is used.
	ExpiresAt *time.Time
}

// WAF is the web application firewall configuration of a domain.
type WAF struct {
	// Enabled reports whether the firewall is active ("enabled").
	Enabled bool
	// Mode is Detection or Block ("mode").
	Mode string
	// OWASP switches each OWASP Top 10 item, keyed "A01" to "A10", on or off ("owasp").
	OWASP map[string]bool
}
