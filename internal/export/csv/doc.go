// Package csvexport encodes a customer's domains as the CSV file of the domain export.
//
// A [Writer] streams the file: it writes the UTF-8 byte order mark and the header row when it is
// made, then one line per [Row], through one fixed-size buffer, so memory does not grow with the
// number of rows. It counts the bytes written and, with [WithSHA256], hashes them, so a caller can
// report size and digest without keeping the file. A customer without domains gets the header
// row only.
//
// A row's cells but its customer name depend on the domain's own settings only, so they can be
// rendered ahead of time: [EncodeCells] renders them once, when the domain changes (the projector
// keeps them in the read model), and [Writer.WriteEncoded] joins them with the customer name into
// the same line that [Writer.Write] writes, at the cost of copying bytes. That is what lets an
// export stream a million domains in a few seconds.
//
// The file follows RFC 4180: fields are separated by commas, records end with CRLF, and a field
// containing a comma, a double quote, a line break or a leading space is quoted, with its quotes
// doubled.
//
// # Columns
//
// The columns, in order, and how each cell is written. Lists are joined with "; "; an empty list is
// written N/A.
//
//	Column               Cell
//	-------------------  -------------------------------------------------------------------------
//	Host                 the host as given, IDNs in punycode: xn--bcher-kva.example
//	HTTP Ports           the ports in input order: 80; 8080
//	HTTPS Ports          the ports in input order: 443; 6066
//	Scheme               the origin scheme as given: HTTPS
//	Customer Name        the name as given
//	Origin               the origin addresses in input order, each marked " (backup)", " (disabled)"
//	                     or " (backup, disabled)" as applies: 203.0.113.10; 203.0.113.11 (backup)
//	Origin Port          the origins' ports, in the same order as the Origin cell: 443; 443
//	Cache Configuration  see Cache below
//	Redirection          see Redirection below
//	SSL Expiry Date      the expiry date as YYYY-MM-DD, or N/A when there is none: 2027-01-31
//	TLS Protocol         the protocols in the order TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 whatever the
//	                     input order, each once (unknown values follow, in input order): TLSv1.2; TLSv1.3
//	WAF Configuration    see WAF below
//
// Load balancing and the SSL type have no column.
//
// # Summaries
//
// The three settings cells are summaries made of parts separated by "; "; lists inside a part are
// joined with ", ". The wording is stable: golden files in testdata pin it.
//
//	Cell                 Part (in this order)                  When
//	-------------------  ------------------------------------  -----------------------------------
//	Cache Configuration  disabled                              cache off; the only part
//	                     enabled                               cache on
//	                     ttl=<minutes>m                        cache on
//	                     query string ignored                  cache on, query string off
//	                     query string included                 cache on, query string on
//	                     extensions=<ext>, <ext>               cache on, some extensions
//	                     follow origin on|off                  cache on
//	                     force params=<param>, <param>         cache on, some force params
//	Redirection          domain flattening on                  flattening on
//	                     redirect to <SCHEME>://<url>          redirect URL on (N/A when no URL;
//	                                                           the URL alone when it has a scheme)
//	                     rules: <rule>, <rule>                 some rules, sorted by priority
//	                     none                                  none of the above; the only part
//	WAF Configuration    disabled                              WAF off; the only part
//	                     enabled                               WAF on
//	                     mode=<mode>                           WAF on, mode set
//	                     OWASP <item>, <item> | OWASP none     WAF on; the items switched on, A01 to
//	                                                           A10, then any other key sorted
//
// A rule is written "<name> <status code> <type in lower case> → <url> (priority <n>)".
//
// Examples:
//
//	enabled; ttl=120m; query string ignored; extensions=css, js; follow origin off
//	domain flattening on; redirect to HTTPS://example.com; rules: old-blog 301 static → https://example.com/blog (priority 1)
//	enabled; mode=Block; OWASP A01, A02, A03
//
// # Spreadsheet safety
//
// Every cell, summaries included, is made safe after it is built (OWASP "CSV Injection"): a cell
// beginning with =, +, -, @, tab, CR or LF gets a leading apostrophe, so spreadsheets show it as
// text and evaluate nothing. CRLF and a lone CR inside a cell become a line break (written CRLF
// inside the quoted field), and invalid UTF-8 becomes U+FFFD.
package csvexport
