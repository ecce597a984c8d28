package domain

import (
	"reflect"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/events"
)

const idD = "0193a1b2-0000-7000-8000-0000000000d1"

func validSettings() events.DomainSettings {
	s := DefaultDomainSettings()
	s.Host = "www.example.com"
	s.Origins = []events.Origin{{Type: "IPv4", Address: "203.0.113.10", Port: 443, Enabled: true}}
	return s
}

func TestNormalizeDomainSettings(t *testing.T) {
	s := validSettings()
	s.Host = "  WWW.Bücher.Example. "
	s.TLSProtocols = []string{"TLSv1.3", "TLSv1.2"}
	s.Cache.Extensions = []string{".CSS", "js"}
	s.Origins = append(s.Origins, events.Origin{Type: "FQDN", Address: "Origin.Example.COM", Port: 8080})
	got, err := NormalizeDomainSettings(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Host != "www.xn--bcher-kva.example" || !reflect.DeepEqual(got.TLSProtocols, []string{"TLSv1.2", "TLSv1.3"}) ||
		!reflect.DeepEqual(got.Cache.Extensions, []string{"css", "js"}) || got.Origins[1].Address != "origin.example.com" {
		t.Errorf("not normalized: %+v", got)
	}
	cases := []struct {
		name  string
		edit  func(*events.DomainSettings)
		field string
	}{
		{"no host", func(s *events.DomainSettings) { s.Host = "" }, "host"},
		{"single label", func(s *events.DomainSettings) { s.Host = "localhost" }, "host"},
		{"numeric tld", func(s *events.DomainSettings) { s.Host = "10.0.0.1" }, "host"},
		{"bad label", func(s *events.DomainSettings) { s.Host = "-a.example.com" }, "host"},
		{"underscore", func(s *events.DomainSettings) { s.Host = "a_b.example.com" }, "host"},
		{"443 over http", func(s *events.DomainSettings) { s.HTTPPorts = []int{80, 443} }, "http_ports[1]"},
		{"80 over https", func(s *events.DomainSettings) { s.HTTPSPorts = []int{80} }, "https_ports[0]"},
		{"port 0", func(s *events.DomainSettings) { s.HTTPPorts = []int{0} }, "http_ports[0]"},
		{"port 65536", func(s *events.DomainSettings) { s.HTTPSPorts = []int{65536} }, "https_ports[0]"},
		{"duplicate port", func(s *events.DomainSettings) { s.HTTPPorts = []int{8080, 8080} }, "http_ports[1]"},
		{"no port at all", func(s *events.DomainSettings) { s.HTTPPorts, s.HTTPSPorts = nil, nil }, "http_ports"},
		{"scheme", func(s *events.DomainSettings) { s.Scheme = "https" }, "scheme"},
		{"no origin", func(s *events.DomainSettings) { s.Origins = nil }, "origins"},
		{"origin type", func(s *events.DomainSettings) { s.Origins[0].Type = "IPv6" }, "origins[0].type"},
		{"origin ipv4", func(s *events.DomainSettings) { s.Origins[0].Address = "300.1.1.1" }, "origins[0].address"},
		{"origin ipv6 as ipv4", func(s *events.DomainSettings) { s.Origins[0].Address = "2001:db8::1" }, "origins[0].address"},
		{"origin fqdn", func(s *events.DomainSettings) { s.Origins[0] = events.Origin{Type: "FQDN", Address: "nope", Port: 80} }, "origins[0].address"},
		{"origin port", func(s *events.DomainSettings) { s.Origins[0].Port = 0 }, "origins[0].port"},
		{"load balancing", func(s *events.DomainSettings) { s.LoadBalancing = "Random" }, "load_balancing"},
		{"ttl", func(s *events.DomainSettings) { s.Cache.TTLMinutes = -1 }, "cache.ttl_minutes"},
		{"extension", func(s *events.DomainSettings) { s.Cache.Extensions = []string{"c s s"} }, "cache.extensions[0]"},
		{"redirect url", func(s *events.DomainSettings) {
			s.Redirection.RedirectURL = events.RedirectURL{Enabled: true, Scheme: "HTTPS"}
		}, "redirection.redirect_url.url"},
		{"rule status", func(s *events.DomainSettings) {
			s.Redirection.Rules = []events.RedirectRule{{Name: "r", Type: "Static", StatusCode: 307, URL: "https://x.example/", Priority: 1}}
		}, "redirection.rules[0].status_code"},
		{"rule url", func(s *events.DomainSettings) {
			s.Redirection.Rules = []events.RedirectRule{{Name: "r", Type: "Static", StatusCode: 301, URL: "/relative", Priority: 1}}
		}, "redirection.rules[0].url"},
		{"ssl type", func(s *events.DomainSettings) { s.SSL.Type = "Self-signed" }, "ssl.type"},
		{"ssl date", func(s *events.DomainSettings) { s.SSL.ExpiresAt = "2027-02-30" }, "ssl.expires_at"},
		{"no tls", func(s *events.DomainSettings) { s.TLSProtocols = nil }, "tls_protocols"},
		{"tls name", func(s *events.DomainSettings) { s.TLSProtocols = []string{"SSLv3"} }, "tls_protocols[0]"},
		{"waf mode", func(s *events.DomainSettings) { s.WAF.Mode = "Off" }, "waf.mode"},
		{"waf action", func(s *events.DomainSettings) { s.WAF.RuleAction = "Drop" }, "waf.rule_action"},
		{"owasp item", func(s *events.DomainSettings) { s.WAF.OWASP = map[string]bool{"A11": true} }, "waf.owasp.A11"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validSettings()
			tc.edit(&s)
			_, err := NormalizeDomainSettings(s)
			wantCode(t, err, Invalid, tc.field)
		})
	}
}

func TestDomainDecisions(t *testing.T) {
	cust := given(idA, created("Acme", ""))
	s, _ := NormalizeDomainSettings(validSettings())
	evs, err := DecideAddDomain(idD, cust, s, "")
	if err != nil || len(evs) != 1 {
		t.Fatal(evs, err)
	}
	if _, err := DecideAddDomain(idD, cust, s, idB); ErrorCode(err) != Conflict {
		t.Errorf("taken host: %v", err)
	}
	d := &Domain{ID: idD}
	d.Apply(Recorded{Seq: 1, Time: time.Unix(1, 0), Payload: evs[0]})
	if evs, err := d.DecideUpdateDomain(s, ""); err != nil || len(evs) != 0 {
		t.Fatalf("same settings: %v %v", evs, err)
	}
	s2 := s
	s2.HTTPPorts = []int{80, 8080}
	evs, err = d.DecideUpdateDomain(s2, "")
	want := []events.Payload{events.DomainUpdatedV1{HTTPPorts: events.Some([]int{80, 8080})}}
	if err != nil || !reflect.DeepEqual(evs, want) {
		t.Fatalf("one section changed: %#v %v", evs, err)
	}
	d.Apply(Recorded{Seq: 2, Payload: evs[0]})
	if !reflect.DeepEqual(d.Settings.HTTPPorts, []int{80, 8080}) || d.Version != 2 {
		t.Errorf("after update: %+v", d)
	}
	s3 := d.Settings
	s3.Host = "shop.example.com"
	if _, err := d.DecideUpdateDomain(s3, idB); ErrorCode(err) != Conflict {
		t.Errorf("rename to a taken host: %v", err)
	}
	other := given(idB, created("Other", ""))
	if evs, _ := d.DecideMoveDomain(other); !reflect.DeepEqual(evs, []events.Payload{events.DomainMovedV1{FromCustomerID: idA, ToCustomerID: idB}}) {
		t.Errorf("move: %#v", evs)
	}
	if evs, _ := d.DecideMoveDomain(cust); len(evs) != 0 {
		t.Error("a move to the same customer appended an event")
	}
	if _, err := d.DecideMoveDomain(given(idC)); ErrorCode(err) != Invalid {
		t.Errorf("move to nowhere: %v", err)
	}
	evs, _ = d.DecideRemoveDomain("")
	d.Apply(Recorded{Seq: 3, Payload: evs[0]})
	if _, err := d.DecideRemoveDomain(""); ErrorCode(err) != NotFound {
		t.Errorf("removed twice: %v", err)
	}
}
