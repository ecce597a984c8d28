package query

import (
	"bytes"
	"encoding/json"

	"github.com/toffstech/customer-management/internal/events"
)

// decodeSettings decodes the JSON of events.DomainSettings exactly as json.Unmarshal does, about
// ten times faster on what the read model stores: the export decodes every domain of a customer,
// and encoding/json alone (15 µs for the 800 bytes of a typical domain) would cap it far below its
// target.
//
// The fast path understands the shape the projection writes: one object with the exact field
// names, no duplicate keys, no nulls, integers without fraction or exponent. On anything else (a
// null, an unknown or differently cased key, a duplicate, a float, malformed JSON) it gives up and
// the input goes to json.Unmarshal, so the result — value or error — is always json.Unmarshal's.
// Strings with escapes or non-ASCII bytes are unquoted by encoding/json too.
func decodeSettings(b []byte) (events.DomainSettings, error) {
	p := settingsParser{b: b}
	if s, ok := p.settings(); ok {
		return s, nil
	}
	var s events.DomainSettings
	err := json.Unmarshal(b, &s)
	return s, err
}

// settingsParser is the fast path of decodeSettings. Every method returns false when the input
// is not what it handles; the caller then gives up.
type settingsParser struct {
	b []byte
	i int
}

func (p *settingsParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte without consuming it, or 0 at the end (or at a
// NUL byte, which no valid JSON has outside strings).
func (p *settingsParser) next() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// eat consumes c after white space.
func (p *settingsParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c { // the usual case: no white space
		p.i++
		return true
	}
	if p.next() != c {
		return false
	}
	p.i++
	return true
}

// object parses an object, calling field for each key with the parser positioned at its value.
// A key seen twice fails: encoding/json would merge the two values.
func (p *settingsParser) object(field func(key []byte) bool) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	var (
		seen [16][]byte // more keys than any object of DomainSettings has: give up
		n    int
	)
	for {
		key, ok := p.rawString()
		if !ok || !p.eat(':') || n == len(seen) {
			return false
		}
		for _, k := range seen[:n] {
			if string(k) == string(key) {
				return false
			}
		}
		seen[n] = key
		n++
		if !field(key) {
			return false
		}
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}

// array parses an array, calling elem for each element.
func (p *settingsParser) array(elem func() bool) bool {
	if !p.eat('[') {
		return false
	}
	if p.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.eat(',') {
			continue
		}
		return p.eat(']')
	}
}

// rawString returns the bytes of a string without escapes and of printable ASCII only, without
// copying them.
func (p *settingsParser) rawString() ([]byte, bool) {
	if p.next() != '"' {
		return nil, false
	}
	start := p.i + 1
	end := bytes.IndexByte(p.b[start:], '"')
	if end < 0 {
		return nil, false
	}
	raw := p.b[start : start+end]
	for _, c := range raw {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, false
		}
	}
	p.i = start + end + 1
	return raw, true
}

// str parses a string value. Common values are shared constants; a string with escapes or
// non-ASCII characters is unquoted by encoding/json.
func (p *settingsParser) str() (string, bool) {
	save := p.i
	if raw, ok := p.rawString(); ok {
		return intern(raw), true
	}
	p.i = save
	if p.next() != '"' {
		return "", false
	}
	// Find the end of the string, then let encoding/json unquote it.
	start := p.i
	for j := start + 1; j < len(p.b); j++ {
		switch p.b[j] {
		case '\\':
			j++
		case '"':
			var s string
			if json.Unmarshal(p.b[start:j+1], &s) != nil {
				return "", false
			}
			p.i = j + 1
			return s, true
		}
	}
	return "", false
}

// intern returns the shared constant equal to b, or a new string.
func intern(b []byte) string {
	switch string(b) { // no allocation: the compiler compares the bytes
	case "HTTP":
		return "HTTP"
	case "HTTPS":
		return "HTTPS"
	case "IPv4":
		return "IPv4"
	case "FQDN":
		return "FQDN"
	case "Round Robin":
		return "Round Robin"
	case "Backup":
		return "Backup"
	case "IP Hash":
		return "IP Hash"
	case "Least Connected":
		return "Least Connected"
	case "Static":
		return "Static"
	case "Dynamic":
		return "Dynamic"
	case "Auto SSL":
		return "Auto SSL"
	case "Upload SSL":
		return "Upload SSL"
	case "TLSv1":
		return "TLSv1"
	case "TLSv1.1":
		return "TLSv1.1"
	case "TLSv1.2":
		return "TLSv1.2"
	case "TLSv1.3":
		return "TLSv1.3"
	case "Detection":
		return "Detection"
	case "Block":
		return "Block"
	case "Allow":
		return "Allow"
	case "JS Challenge":
		return "JS Challenge"
	case "Challenge (Captcha)":
		return "Challenge (Captcha)"
	case "Log":
		return "Log"
	case "":
		return ""
	case "css":
		return "css"
	case "js":
		return "js"
	}
	return string(b)
}

// owaspKey returns the shared constant of an OWASP item, or a new string.
func owaspKey(b []byte) string {
	if len(b) == 3 && b[0] == 'A' {
		switch string(b) {
		case "A01":
			return "A01"
		case "A02":
			return "A02"
		case "A03":
			return "A03"
		case "A04":
			return "A04"
		case "A05":
			return "A05"
		case "A06":
			return "A06"
		case "A07":
			return "A07"
		case "A08":
			return "A08"
		case "A09":
			return "A09"
		case "A10":
			return "A10"
		}
	}
	return string(b)
}

// integer parses an integer that fits an int: digits, an optional minus, no fraction or exponent.
func (p *settingsParser) integer() (int, bool) {
	p.ws()
	start := p.i
	j := p.i
	if j < len(p.b) && p.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		j++
	}
	n := j - digits
	if n == 0 || n > 18 || (n > 1 && p.b[digits] == '0') {
		return 0, false
	}
	if j < len(p.b) {
		switch p.b[j] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	v := 0
	for _, c := range p.b[digits:j] {
		v = v*10 + int(c-'0')
	}
	if digits > start {
		v = -v
	}
	p.i = j
	return v, true
}

// boolean parses true or false.
func (p *settingsParser) boolean() (bool, bool) {
	p.ws()
	rest := p.b[p.i:]
	if len(rest) >= 4 && string(rest[:4]) == "true" {
		p.i += 4
		return true, true
	}
	if len(rest) >= 5 && string(rest[:5]) == "false" {
		p.i += 5
		return false, true
	}
	return false, false
}

func (p *settingsParser) ints() ([]int, bool) {
	out := make([]int, 0, 4)
	ok := p.array(func() bool {
		v, ok := p.integer()
		out = append(out, v)
		return ok
	})
	return out, ok
}

func (p *settingsParser) strs() ([]string, bool) {
	out := make([]string, 0, 4)
	ok := p.array(func() bool {
		v, ok := p.str()
		out = append(out, v)
		return ok
	})
	return out, ok
}

// setStr, setInt and setBool parse a value into a field.
func (p *settingsParser) setStr(dst *string) bool {
	v, ok := p.str()
	*dst = v
	return ok
}

func (p *settingsParser) setInt(dst *int) bool {
	v, ok := p.integer()
	*dst = v
	return ok
}

func (p *settingsParser) setBool(dst *bool) bool {
	v, ok := p.boolean()
	*dst = v
	return ok
}

// settings parses the whole input as events.DomainSettings.
func (p *settingsParser) settings() (events.DomainSettings, bool) {
	var s events.DomainSettings
	ok := p.object(func(key []byte) bool {
		var ok bool
		switch string(key) {
		case "host":
			return p.setStr(&s.Host)
		case "http_ports":
			s.HTTPPorts, ok = p.ints()
		case "https_ports":
			s.HTTPSPorts, ok = p.ints()
		case "scheme":
			return p.setStr(&s.Scheme)
		case "origins":
			s.Origins, ok = p.origins()
		case "load_balancing":
			return p.setStr(&s.LoadBalancing)
		case "cache":
			return p.cache(&s.Cache)
		case "redirection":
			return p.redirection(&s.Redirection)
		case "ssl":
			return p.object(func(key []byte) bool {
				switch string(key) {
				case "type":
					return p.setStr(&s.SSL.Type)
				case "expires_at":
					return p.setStr(&s.SSL.ExpiresAt)
				}
				return false
			})
		case "tls_protocols":
			s.TLSProtocols, ok = p.strs()
		case "waf":
			return p.waf(&s.WAF)
		}
		return ok
	})
	if p.ws(); !ok || p.i != len(p.b) {
		return events.DomainSettings{}, false
	}
	return s, true
}

func (p *settingsParser) origins() ([]events.Origin, bool) {
	out := make([]events.Origin, 0, 2)
	ok := p.array(func() bool {
		var o events.Origin
		ok := p.object(func(key []byte) bool {
			switch string(key) {
			case "type":
				return p.setStr(&o.Type)
			case "address":
				return p.setStr(&o.Address)
			case "port":
				return p.setInt(&o.Port)
			case "enabled":
				return p.setBool(&o.Enabled)
			case "backup":
				return p.setBool(&o.Backup)
			}
			return false
		})
		out = append(out, o)
		return ok
	})
	return out, ok
}

func (p *settingsParser) cache(c *events.CacheSettings) bool {
	return p.object(func(key []byte) bool {
		var ok bool
		switch string(key) {
		case "enabled":
			return p.setBool(&c.Enabled)
		case "query_string":
			return p.setBool(&c.QueryString)
		case "ttl_minutes":
			return p.setInt(&c.TTLMinutes)
		case "extensions":
			c.Extensions, ok = p.strs()
		case "follow_origin":
			return p.setBool(&c.FollowOrigin)
		case "force_params":
			c.ForceParams, ok = p.strs()
		}
		return ok
	})
}

func (p *settingsParser) redirection(r *events.Redirection) bool {
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "domain_flattening":
			return p.setBool(&r.DomainFlattening)
		case "redirect_url":
			return p.object(func(key []byte) bool {
				switch string(key) {
				case "enabled":
					return p.setBool(&r.RedirectURL.Enabled)
				case "scheme":
					return p.setStr(&r.RedirectURL.Scheme)
				case "url":
					return p.setStr(&r.RedirectURL.URL)
				}
				return false
			})
		case "rules":
			rules := make([]events.RedirectRule, 0, 2)
			ok := p.array(func() bool {
				var rule events.RedirectRule
				ok := p.object(func(key []byte) bool {
					switch string(key) {
					case "name":
						return p.setStr(&rule.Name)
					case "type":
						return p.setStr(&rule.Type)
					case "status_code":
						return p.setInt(&rule.StatusCode)
					case "url":
						return p.setStr(&rule.URL)
					case "priority":
						return p.setInt(&rule.Priority)
					}
					return false
				})
				rules = append(rules, rule)
				return ok
			})
			r.Rules = rules
			return ok
		}
		return false
	})
}

func (p *settingsParser) waf(w *events.WAFSettings) bool {
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "enabled":
			return p.setBool(&w.Enabled)
		case "mode":
			return p.setStr(&w.Mode)
		case "rule_action":
			return p.setStr(&w.RuleAction)
		case "owasp":
			w.OWASP = make(map[string]bool, 10)
			return p.owasp(w.OWASP)
		}
		return false
	})
}

// owasp parses the OWASP items. It has its own loop because its keys are data, not field names:
// a duplicate would be merged by encoding/json as by this parser (last wins), but it is refused
// like every other duplicate, to keep one rule.
func (p *settingsParser) owasp(m map[string]bool) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	for {
		key, ok := p.rawString()
		if !ok || !p.eat(':') {
			return false
		}
		k := owaspKey(key)
		if _, dup := m[k]; dup {
			return false
		}
		v, ok := p.boolean()
		if !ok {
			return false
		}
		m[k] = v
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}
