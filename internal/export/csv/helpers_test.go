package csvexport

import "time"

// The helpers below render one cell on its own, as a string, for table tests.

func neutralize(s string) string { return string(neutralizeCell([]byte(s), 0)) }

func joinInts(ns []int) string { return string(appendInts(nil, ns)) }

func originCells(origins []Origin) (addresses, ports string) {
	return string(appendOriginAddresses(nil, origins)), string(appendOriginPorts(nil, origins))
}

func dateCell(t *time.Time) string { return string(appendDate(nil, t)) }

func tlsCell(protocols []string) string { return string(appendTLSProtocols(nil, protocols)) }

func cacheSummary(c Cache) string { return string(appendCacheSummary(nil, c)) }

func redirectionSummary(r Redirection) string { return string(appendRedirectionSummary(nil, r)) }

func wafSummary(w WAF) string { return string(appendWAFSummary(nil, w)) }
