package csvexport

import "testing"

func TestCacheSummary(t *testing.T) {
	tests := []struct {
		in   Cache
		want string
	}{
		{Cache{}, "disabled"},
		{Cache{TTLMinutes: 120, Extensions: []string{"css"}}, "disabled"},
		{Cache{Enabled: true, TTLMinutes: 120, Extensions: []string{"css", "js"}},
			"enabled; ttl=120m; query string ignored; extensions=css, js; follow origin off"},
		{Cache{Enabled: true, QueryString: true, TTLMinutes: 0, FollowOrigin: true},
			"enabled; ttl=0m; query string included; follow origin on"},
		{Cache{Enabled: true, TTLMinutes: 5, Extensions: []string{"png"}, ForceParams: []string{"v"}},
			"enabled; ttl=5m; query string ignored; extensions=png; follow origin off; force params=v"},
	}
	for _, tt := range tests {
		if got := cacheSummary(tt.in); got != tt.want {
			t.Errorf("cacheSummary(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedirectionSummary(t *testing.T) {
	tests := []struct {
		in   Redirection
		want string
	}{
		{Redirection{}, "none"},
		{Redirection{RedirectURL: RedirectURL{Scheme: "HTTPS", URL: "example.com"}}, "none"},
		{Redirection{DomainFlattening: true}, "domain flattening on"},
		{Redirection{RedirectURL: RedirectURL{Enabled: true, Scheme: "HTTPS", URL: "example.com"}},
			"redirect to HTTPS://example.com"},
		{Redirection{RedirectURL: RedirectURL{Enabled: true, Scheme: "HTTPS", URL: "http://example.com"}},
			"redirect to http://example.com"},
		{Redirection{RedirectURL: RedirectURL{Enabled: true, URL: "example.com"}},
			"redirect to example.com"},
		{Redirection{RedirectURL: RedirectURL{Enabled: true, Scheme: "HTTPS"}},
			"redirect to N/A"},
		{Redirection{
			DomainFlattening: true,
			RedirectURL:      RedirectURL{Enabled: true, Scheme: "HTTPS", URL: "example.com"},
			Rules: []RedirectRule{
				{Name: "b", Type: "Dynamic", StatusCode: 302, URL: "https://example.com/b", Priority: 2},
				{Name: "old-blog", Type: "Static", StatusCode: 301, URL: "https://example.com/blog", Priority: 1},
				{Name: "c", Type: "Static", StatusCode: 301, URL: "https://example.com/c", Priority: 2},
			},
		}, "domain flattening on; redirect to HTTPS://example.com; rules: " +
			"old-blog 301 static → https://example.com/blog (priority 1), " +
			"b 302 dynamic → https://example.com/b (priority 2), " +
			"c 301 static → https://example.com/c (priority 2)"},
	}
	for _, tt := range tests {
		if got := redirectionSummary(tt.in); got != tt.want {
			t.Errorf("redirectionSummary(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedirectionSummaryLeavesRulesAlone(t *testing.T) {
	rules := []RedirectRule{{Name: "b", Priority: 2}, {Name: "a", Priority: 1}}
	redirectionSummary(Redirection{Rules: rules})
	if rules[0].Name != "b" {
		t.Errorf("redirectionSummary reordered the caller's rules")
	}
}

func TestWAFSummary(t *testing.T) {
	tests := []struct {
		in   WAF
		want string
	}{
		{WAF{}, "disabled"},
		{WAF{Mode: "Block", OWASP: map[string]bool{"A01": true}}, "disabled"},
		{WAF{Enabled: true, Mode: "Block", OWASP: map[string]bool{"A03": true, "A01": true, "A02": true}},
			"enabled; mode=Block; OWASP A01, A02, A03"},
		{WAF{Enabled: true, Mode: "Detection", OWASP: map[string]bool{"A10": true, "A09": true, "A01": false}},
			"enabled; mode=Detection; OWASP A09, A10"},
		{WAF{Enabled: true, Mode: "Detection"}, "enabled; mode=Detection; OWASP none"},
		{WAF{Enabled: true}, "enabled; OWASP none"},
	}
	for _, tt := range tests {
		if got := wafSummary(tt.in); got != tt.want {
			t.Errorf("wafSummary(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
