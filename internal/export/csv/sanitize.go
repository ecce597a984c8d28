package csvexport

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// formulaPrefixes are the first characters that make a spreadsheet read a cell as a formula, or
// that spreadsheets strip before doing so (OWASP "CSV Injection").
const formulaPrefixes = "=+-@\t\r\n"

// neutralizeCell makes the cell b[start:] safe to open in a spreadsheet, in place, and returns the
// extended b: invalid UTF-8 becomes U+FFFD; CRLF and a lone CR become LF (encoding/csv writes a line
// break inside a cell as CRLF and would drop a lone CR); and a cell beginning with =, +, -, @, tab,
// CR or LF gets a leading apostrophe, so that it is shown as text and never evaluated.
func neutralizeCell(b []byte, start int) []byte {
	if !utf8.Valid(b[start:]) {
		b = append(b[:start], bytes.ToValidUTF8(b[start:], []byte("\uFFFD"))...)
	}
	if bytes.IndexByte(b[start:], '\r') >= 0 {
		w := start
		for i := start; i < len(b); i++ {
			ch := b[i]
			if ch == '\r' {
				if i+1 < len(b) && b[i+1] == '\n' {
					continue
				}
				ch = '\n'
			}
			b[w] = ch
			w++
		}
		b = b[:w]
	}
	if len(b) > start && strings.IndexByte(formulaPrefixes, b[start]) >= 0 {
		b = append(b, 0)
		copy(b[start+1:], b[start:])
		b[start] = '\''
	}
	return b
}
