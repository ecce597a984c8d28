package csvexport

import "slices"

// owaspItems are the OWASP Top 10 items, in the order they are listed.
var owaspItems = [...]string{"A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "A10"}

// appendWAFSummary appends the WAF Configuration cell, for example "enabled; mode=Block; OWASP
// A01, A02, A03", "enabled; mode=Detection; OWASP none", or "disabled". The OWASP items listed are
// those switched on, A01 to A10 first, then any other key sorted; the mode part is left out when the
// mode is empty.
func appendWAFSummary(b []byte, w WAF) []byte {
	if !w.Enabled {
		return append(b, disabledText...)
	}
	b = append(b, enabledText...)
	if w.Mode != "" {
		b = append(b, partSep+"mode="...)
		b = append(b, w.Mode...)
	}
	b = append(b, partSep+"OWASP "...)
	start := len(b)
	add := func(item string) {
		if len(b) > start {
			b = append(b, itemSep...)
		}
		b = append(b, item...)
	}
	known := 0
	for _, item := range owaspItems {
		on, ok := w.OWASP[item]
		if ok {
			known++
		}
		if on {
			add(item)
		}
	}
	if known < len(w.OWASP) {
		var others []string
		for item, on := range w.OWASP {
			if on && !slices.Contains(owaspItems[:], item) {
				others = append(others, item)
			}
		}
		slices.Sort(others)
		for _, item := range others {
			add(item)
		}
	}
	if len(b) == start {
		b = append(b, noneText...)
	}
	return b
}
