package csvexport

import (
	"slices"
	"strconv"
	"time"
)

// notApplicable is the cell of an empty list or an absent date.
const notApplicable = "N/A"

// listSep joins the items of a list cell.
const listSep = "; "

// tlsOrder is the order TLS protocols are listed in, whatever the input order.
var tlsOrder = [...]string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

// appendInts appends ports as "80; 8080", in the given order, or N/A when there are none.
func appendInts(b []byte, ns []int) []byte {
	if len(ns) == 0 {
		return append(b, notApplicable...)
	}
	for i, n := range ns {
		if i > 0 {
			b = append(b, listSep...)
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return b
}

// appendOriginAddresses appends the Origin cell: the addresses in the given order, each marked
// "(backup)", "(disabled)" or "(backup, disabled)" as applies, or N/A when there are none.
func appendOriginAddresses(b []byte, origins []Origin) []byte {
	if len(origins) == 0 {
		return append(b, notApplicable...)
	}
	for i, o := range origins {
		if i > 0 {
			b = append(b, listSep...)
		}
		b = append(b, o.Address...)
		switch {
		case o.Backup && !o.Enabled:
			b = append(b, " (backup, disabled)"...)
		case o.Backup:
			b = append(b, " (backup)"...)
		case !o.Enabled:
			b = append(b, " (disabled)"...)
		}
	}
	return b
}

// appendOriginPorts appends the Origin Port cell: the origins' ports in the same order as the
// Origin cell, or N/A when there are none.
func appendOriginPorts(b []byte, origins []Origin) []byte {
	if len(origins) == 0 {
		return append(b, notApplicable...)
	}
	for i, o := range origins {
		if i > 0 {
			b = append(b, listSep...)
		}
		b = strconv.AppendInt(b, int64(o.Port), 10)
	}
	return b
}

// appendDate appends a date as YYYY-MM-DD in the time's own location, or N/A when it is nil.
func appendDate(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, notApplicable...)
	}
	return t.AppendFormat(b, time.DateOnly)
}

// appendTLSProtocols appends the protocols in the order TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, each
// once, followed by any unknown value once, in input order; N/A when there are none.
func appendTLSProtocols(b []byte, protocols []string) []byte {
	if len(protocols) == 0 {
		return append(b, notApplicable...)
	}
	start := len(b)
	add := func(s string) {
		if len(b) > start {
			b = append(b, listSep...)
		}
		b = append(b, s...)
	}
	for _, p := range tlsOrder {
		if slices.Contains(protocols, p) {
			add(p)
		}
	}
	for i, p := range protocols {
		if !slices.Contains(tlsOrder[:], p) && !slices.Contains(protocols[:i], p) {
			add(p)
		}
	}
	return b
}
