package events

// Domain event types (the CDN-served domains of a customer). Never rename them.
const (
	DomainAdded   = "domain.added"
	DomainUpdated = "domain.updated"
	DomainMoved   = "domain.moved"
	DomainRemoved = "domain.removed"
)

// AggregateDomain is the aggregate type of domains.
const AggregateDomain = "domain"

// KindDomainHost is the reservation kind of a domain's host, unique across the system.
const KindDomainHost = "domain-host"

// DomainSubject is the subject of one domain's events.
func DomainSubject(id string) string { return "cm.domain." + id }

// DomainSettings is everything configurable about a domain, in the JSON shape clients use.
type DomainSettings struct {
	Host          string        `json:"host"`
	HTTPPorts     []int         `json:"http_ports"`
	HTTPSPorts    []int         `json:"https_ports"`
	Scheme        string        `json:"scheme"`
	Origins       []Origin      `json:"origins"`
	LoadBalancing string        `json:"load_balancing"`
	Cache         CacheSettings `json:"cache"`
	Redirection   Redirection   `json:"redirection"`
	SSL           SSLSettings   `json:"ssl"`
	TLSProtocols  []string      `json:"tls_protocols"`
	WAF           WAFSettings   `json:"waf"`
}

// Origin is one origin server of a domain.
type Origin struct {
	Type    string `json:"type"`
	Address string `json:"address"`
	Port    int    `json:"port"`
	Enabled bool   `json:"enabled"`
	Backup  bool   `json:"backup"`
}

// CacheSettings configure caching.
type CacheSettings struct {
	Enabled      bool     `json:"enabled"`
	QueryString  bool     `json:"query_string"`
	TTLMinutes   int      `json:"ttl_minutes"`
	Extensions   []string `json:"extensions"`
	FollowOrigin bool     `json:"follow_origin"`
	ForceParams  []string `json:"force_params"`
}

// Redirection configures redirects.
type Redirection struct {
	DomainFlattening bool           `json:"domain_flattening"`
	RedirectURL      RedirectURL    `json:"redirect_url"`
	Rules            []RedirectRule `json:"rules"`
}

// RedirectURL sends every request to another URL.
type RedirectURL struct {
	Enabled bool   `json:"enabled"`
	Scheme  string `json:"scheme"`
	URL     string `json:"url"`
}

// RedirectRule is one custom redirection rule.
type RedirectRule struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	StatusCode int    `json:"status_code"`
	URL        string `json:"url"`
	Priority   int    `json:"priority"`
}

// SSLSettings describe the certificate. ExpiresAt is a date (YYYY-MM-DD) or empty.
type SSLSettings struct {
	Type      string `json:"type"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

// WAFSettings configure the web application firewall. OWASP maps A01…A10 to on/off.
type WAFSettings struct {
	Enabled bool            `json:"enabled"`
	Mode    string          `json:"mode"`
	OWASP   map[string]bool `json:"owasp"`
	// RuleAction is what a matching rule does: Allow, Block, JS Challenge, Challenge (Captcha), Log.
	RuleAction string `json:"rule_action,omitempty"`
}

// DomainAddedV1 is the data of domain.added: the owning customer and every setting.
type DomainAddedV1 struct {
	CustomerID string         `json:"customer_id"`
	Settings   DomainSettings `json:"settings"`
}

// DomainUpdatedV1 is the data of domain.updated: the top-level settings that changed, each given
// whole (a changed cache section carries the whole new cache section).
type DomainUpdatedV1 struct {
	Host          Opt[string]        `json:"host,omitzero"`
	HTTPPorts     Opt[[]int]         `json:"http_ports,omitzero"`
	HTTPSPorts    Opt[[]int]         `json:"https_ports,omitzero"`
	Scheme        Opt[string]        `json:"scheme,omitzero"`
	Origins       Opt[[]Origin]      `json:"origins,omitzero"`
	LoadBalancing Opt[string]        `json:"load_balancing,omitzero"`
	Cache         Opt[CacheSettings] `json:"cache,omitzero"`
	Redirection   Opt[Redirection]   `json:"redirection,omitzero"`
	SSL           Opt[SSLSettings]   `json:"ssl,omitzero"`
	TLSProtocols  Opt[[]string]      `json:"tls_protocols,omitzero"`
	WAF           Opt[WAFSettings]   `json:"waf,omitzero"`
}

// DomainMovedV1 is the data of domain.moved: the domain now belongs to another customer.
type DomainMovedV1 struct {
	FromCustomerID string `json:"from_customer_id"`
	ToCustomerID   string `json:"to_customer_id"`
}

// DomainRemovedV1 is the data of domain.removed.
type DomainRemovedV1 struct {
	// Reason is "customer_deleted" when the domain went with its customer, empty otherwise.
	Reason string `json:"reason,omitempty"`
}

// EventType implements Payload.
func (DomainAddedV1) EventType() string { return DomainAdded }

// EventType implements Payload.
func (DomainUpdatedV1) EventType() string { return DomainUpdated }

// EventType implements Payload.
func (DomainMovedV1) EventType() string { return DomainMoved }

// EventType implements Payload.
func (DomainRemovedV1) EventType() string { return DomainRemoved }
