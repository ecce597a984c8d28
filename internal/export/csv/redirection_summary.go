package csvexport

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// appendRedirectionSummary appends the Redirection cell, for example "domain flattening on;
// redirect to HTTPS://example.com; rules: old-blog 301 static → https://example.com/blog (priority
// 1)", or none when flattening is off, the redirect URL disabled and there are no rules. Each part
// appears only when it is active; rules are listed by priority, ties in input order, separated by
// ", ".
func appendRedirectionSummary(b []byte, r Redirection) []byte {
	start := len(b)
	if r.DomainFlattening {
		b = append(b, "domain flattening on"...)
	}
	if r.RedirectURL.Enabled {
		b = appendPartSep(b, start)
		b = append(b, "redirect to "...)
		b = appendRedirectTarget(b, r.RedirectURL)
	}
	if len(r.Rules) > 0 {
		b = appendPartSep(b, start)
		b = append(b, "rules: "...)
		rules := r.Rules
		byPriority := func(x, y RedirectRule) int { return cmp.Compare(x.Priority, y.Priority) }
		if !slices.IsSortedFunc(rules, byPriority) {
			rules = slices.Clone(rules)
			slices.SortStableFunc(rules, byPriority)
		}
		for i, rule := range rules {
			if i > 0 {
				b = append(b, itemSep...)
			}
			b = appendRule(b, rule)
		}
	}
	if len(b) == start {
		b = append(b, noneText...)
	}
	return b
}

// appendRule appends one rule as "<name> <status code> <type> → <url> (priority <n>)", the type in
// lower case.
func appendRule(b []byte, r RedirectRule) []byte {
	b = append(b, r.Name...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(r.StatusCode), 10)
	b = append(b, ' ')
	for _, ch := range []byte(r.Type) {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b = append(b, ch)
	}
	b = append(b, " → "...)
	b = append(b, r.URL...)
	b = append(b, " (priority "...)
	b = strconv.AppendInt(b, int64(r.Priority), 10)
	return append(b, ')')
}

// appendRedirectTarget appends a redirect URL as scheme://url, the URL alone when it already has a
// scheme or no scheme is set, and N/A when the URL is empty.
func appendRedirectTarget(b []byte, u RedirectURL) []byte {
	switch {
	case u.URL == "":
		return append(b, notApplicable...)
	case u.Scheme == "" || strings.Contains(u.URL, "://"):
		return append(b, u.URL...)
	default:
		b = append(b, u.Scheme...)
		b = append(b, "://"...)
		return append(b, u.URL...)
	}
}
