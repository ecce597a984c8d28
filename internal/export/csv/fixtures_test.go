package csvexport

import "time"

// date returns a pointer to midnight UTC of the given day.
func date(year int, month time.Month, day int) *time.Time {
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	return &t
}

// typicalRows are three domains that between them exercise every column: several ports, an IDN
// host, backup and disabled origins, rules out of priority order, TLS protocols out of order, N/A
// cells, both WAF modes and a disabled WAF, and a customer name with an accent and a comma.
func typicalRows() []Row {
	return []Row{
		{
			Host:         "www.example.com",
			HTTPPorts:    []int{80, 8080},
			HTTPSPorts:   []int{443, 6066},
			Scheme:       "HTTPS",
			CustomerName: "Café Müller, Inc.",
			Origins: []Origin{
				{Type: "IPv4", Address: "203.0.113.10", Port: 443, Enabled: true},
				{Type: "IPv4", Address: "203.0.113.11", Port: 443, Enabled: true, Backup: true},
				{Type: "FQDN", Address: "origin.example.net", Port: 8443, Enabled: false},
				{Type: "FQDN", Address: "spare.example.net", Port: 8443, Enabled: false, Backup: true},
			},
			LoadBalancing: "Backup",
			Cache: Cache{Enabled: true, TTLMinutes: 120, Extensions: []string{"css", "js"},
				ForceParams: []string{}},
			Redirection: Redirection{
				DomainFlattening: true,
				RedirectURL:      RedirectURL{Enabled: true, Scheme: "HTTPS", URL: "example.com"},
				Rules: []RedirectRule{
					{Name: "promo", Type: "Dynamic", StatusCode: 302, URL: "https://example.com/promo?a=1,2", Priority: 2},
					{Name: "old-blog", Type: "Static", StatusCode: 301, URL: "https://example.com/blog", Priority: 1},
				},
			},
			SSL:          SSL{Type: "Auto SSL", ExpiresAt: date(2027, time.January, 31)},
			TLSProtocols: []string{"TLSv1.3", "TLSv1.2"},
			WAF: WAF{Enabled: true, Mode: "Block",
				OWASP: map[string]bool{"A03": true, "A01": true, "A02": true, "A04": false}},
		},
		{
			Host:         "xn--bcher-kva.example",
			HTTPPorts:    []int{80},
			HTTPSPorts:   nil,
			Scheme:       "HTTP",
			CustomerName: "Bücher & Co",
			Origins: []Origin{
				{Type: "FQDN", Address: "origin.xn--bcher-kva.example", Port: 80, Enabled: true},
			},
			LoadBalancing: "Round Robin",
			Cache:         Cache{Enabled: false, TTLMinutes: 120, Extensions: []string{"css"}},
			Redirection:   Redirection{RedirectURL: RedirectURL{Scheme: "HTTPS"}, Rules: []RedirectRule{}},
			SSL:           SSL{Type: "Upload SSL"},
			TLSProtocols:  []string{"TLSv1.2", "TLSv1", "TLSv1.1"},
			WAF: WAF{Enabled: true, Mode: "Detection",
				OWASP: map[string]bool{"A01": false, "A10": false}},
		},
		{
			Host:         "api.example.org",
			HTTPPorts:    []int{},
			HTTPSPorts:   []int{443},
			Scheme:       "HTTPS",
			CustomerName: "Example \"Quoted\" Ltd",
			Origins:      nil,
			Cache: Cache{Enabled: true, QueryString: true, TTLMinutes: 1440, FollowOrigin: true,
				ForceParams: []string{"utm_source", "ref"}},
			Redirection: Redirection{
				RedirectURL: RedirectURL{Enabled: true, Scheme: "HTTP", URL: "legacy.example.org/path"},
			},
			SSL:          SSL{Type: "Upload SSL", ExpiresAt: date(2026, time.December, 1)},
			TLSProtocols: nil,
			WAF:          WAF{Enabled: false, Mode: "Block", OWASP: map[string]bool{"A01": true}},
		},
	}
}

// dangerousPrefixes are the first characters that must be neutralized, each with a payload.
var dangerousPrefixes = []struct {
	name, value string
}{
	{"equals", `=HYPERLINK("http://evil.example","x")`},
	{"plus", "+1+1"},
	{"minus", "-2+3"},
	{"at", "@SUM(1)"},
	{"tab", "\tx"},
	{"cr", "\rx"},
	{"lf", "\nx"},
}

// injectionRows are domains whose customer names, hosts, origin addresses, schemes and redirect
// targets begin with each dangerous character, followed by rows with quotes, commas and line breaks
// inside cells.
func injectionRows() []Row {
	var rows []Row
	for _, p := range dangerousPrefixes {
		rows = append(rows, Row{
			Host:         p.value,
			HTTPPorts:    []int{80},
			HTTPSPorts:   []int{443},
			Scheme:       p.value,
			CustomerName: p.value,
			Origins:      []Origin{{Type: "FQDN", Address: p.value, Port: 80, Enabled: true}},
			Cache:        Cache{Enabled: true, TTLMinutes: 120, Extensions: []string{p.value}},
			Redirection: Redirection{Rules: []RedirectRule{
				{Name: p.value, Type: "Static", StatusCode: 301, URL: p.value, Priority: 1},
			}},
			TLSProtocols: []string{p.value},
			WAF:          WAF{Enabled: true, Mode: p.value},
		})
	}
	rows = append(rows,
		Row{
			Host:         "quotes.example.com",
			HTTPPorts:    []int{80},
			Scheme:       "HTTP",
			CustomerName: `He said "hi", then left`,
			Origins:      []Origin{{Type: "FQDN", Address: `o"rigin,.example.com`, Port: 80, Enabled: true}},
			Redirection: Redirection{RedirectURL: RedirectURL{Enabled: true, Scheme: "HTTPS",
				URL: "example.com/a,b\"c"}},
		},
		Row{
			Host:         "lines.example.com",
			HTTPSPorts:   []int{443},
			Scheme:       "HTTPS",
			CustomerName: "First line\nsecond line\r\nthird line\rfourth",
			Origins:      []Origin{{Type: "IPv4", Address: "203.0.113.5", Port: 443, Enabled: true}},
			TLSProtocols: []string{"TLSv1.3"},
		},
		Row{
			Host:         " leading-space.example.com",
			HTTPSPorts:   []int{443},
			Scheme:       "HTTPS",
			CustomerName: "Trailing=equals+plus-minus@at",
			Origins:      []Origin{{Type: "IPv4", Address: "203.0.113.6", Port: 443, Enabled: true}},
			TLSProtocols: []string{"TLSv1.3"},
		},
	)
	return rows
}
