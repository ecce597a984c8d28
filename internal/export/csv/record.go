package csvexport

// Column positions in a record, in header order.
const (
	colHost = iota
	colHTTPPorts
	colHTTPSPorts
	colScheme
	colCustomerName
	colOrigin
	colOriginPort
	colCache
	colRedirection
	colSSLExpiry
	colTLS
	colWAF
)

// fillRecord renders r into rec, one neutralized cell per column, using c as scratch space.
func fillRecord(c *cellBuffer, rec *[len(header)]string, r Row) {
	c.reset()
	c.addString(r.Host)
	c.buf = appendInts(c.buf, r.HTTPPorts)
	c.endCell()
	c.buf = appendInts(c.buf, r.HTTPSPorts)
	c.endCell()
	c.addString(r.Scheme)
	c.addString(r.CustomerName)
	c.buf = appendOriginAddresses(c.buf, r.Origins)
	c.endCell()
	c.buf = appendOriginPorts(c.buf, r.Origins)
	c.endCell()
	c.buf = appendCacheSummary(c.buf, r.Cache)
	c.endCell()
	c.buf = appendRedirectionSummary(c.buf, r.Redirection)
	c.endCell()
	c.buf = appendDate(c.buf, r.SSL.ExpiresAt)
	c.endCell()
	c.buf = appendTLSProtocols(c.buf, r.TLSProtocols)
	c.endCell()
	c.buf = appendWAFSummary(c.buf, r.WAF)
	c.endCell()
	c.record(rec)
}
