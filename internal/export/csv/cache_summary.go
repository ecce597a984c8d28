package csvexport

import "strconv"

// appendCacheSummary appends the Cache Configuration cell, for example
// "enabled; ttl=120m; query string ignored; extensions=css, js; follow origin off", or "disabled".
// The extensions and force params parts are left out when their lists are empty.
func appendCacheSummary(b []byte, c Cache) []byte {
	if !c.Enabled {
		return append(b, disabledText...)
	}
	b = append(b, enabledText...)
	b = append(b, partSep+"ttl="...)
	b = strconv.AppendInt(b, int64(c.TTLMinutes), 10)
	b = append(b, 'm')
	if c.QueryString {
		b = append(b, partSep+"query string included"...)
	} else {
		b = append(b, partSep+"query string ignored"...)
	}
	if len(c.Extensions) > 0 {
		b = append(b, partSep+"extensions="...)
		b = appendJoined(b, c.Extensions)
	}
	b = append(b, partSep+"follow origin "...)
	b = append(b, onOff(c.FollowOrigin)...)
	if len(c.ForceParams) > 0 {
		b = append(b, partSep+"force params="...)
		b = appendJoined(b, c.ForceParams)
	}
	return b
}
