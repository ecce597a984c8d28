package csvexport

import (
	"time"

	"github.com/toffstech/customer-management/internal/events"
)

// FromSettings maps a domain's settings, as the domain events carry them, and its customer's name
// onto a Row. An SSL expiry that is not a YYYY-MM-DD date is left out.
func FromSettings(s events.DomainSettings, customerName string) Row {
	r := Row{
		Host:          s.Host,
		HTTPPorts:     s.HTTPPorts,
		HTTPSPorts:    s.HTTPSPorts,
		Scheme:        s.Scheme,
		CustomerName:  customerName,
		LoadBalancing: s.LoadBalancing,
		Cache: Cache{
			Enabled:      s.Cache.Enabled,
			QueryString:  s.Cache.QueryString,
			TTLMinutes:   s.Cache.TTLMinutes,
			Extensions:   s.Cache.Extensions,
			FollowOrigin: s.Cache.FollowOrigin,
			ForceParams:  s.Cache.ForceParams,
		},
		Redirection: Redirection{
			DomainFlattening: s.Redirection.DomainFlattening,
			RedirectURL: RedirectURL{
				Enabled: s.Redirection.RedirectURL.Enabled,
				Scheme:  s.Redirection.RedirectURL.Scheme,
				URL:     s.Redirection.RedirectURL.URL,
			},
		},
		SSL:          SSL{Type: s.SSL.Type},
		TLSProtocols: s.TLSProtocols,
		WAF:          WAF{Enabled: s.WAF.Enabled, Mode: s.WAF.Mode, OWASP: s.WAF.OWASP},
	}
	if len(s.Origins) > 0 {
		r.Origins = make([]Origin, len(s.Origins))
		for i, o := range s.Origins {
			r.Origins[i] = Origin{Type: o.Type, Address: o.Address, Port: o.Port, Enabled: o.Enabled, Backup: o.Backup}
		}
	}
	if len(s.Redirection.Rules) > 0 {
		r.Redirection.Rules = make([]RedirectRule, len(s.Redirection.Rules))
		for i, rr := range s.Redirection.Rules {
			r.Redirection.Rules[i] = RedirectRule{Name: rr.Name, Type: rr.Type, StatusCode: rr.StatusCode, URL: rr.URL, Priority: rr.Priority}
		}
	}
	if s.SSL.ExpiresAt != "" {
		if t, err := time.Parse(time.DateOnly, s.SSL.ExpiresAt); err == nil {
			r.SSL.ExpiresAt = &t
		}
	}
	return r
}
