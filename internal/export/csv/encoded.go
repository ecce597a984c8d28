package csvexport

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cell positions in Cells: every column of the file but the customer name, in header order.
const (
	CellHost = iota
	CellHTTPPorts
	CellHTTPSPorts
	CellScheme
	CellOrigin
	CellOriginPort
	CellCache
	CellRedirection
	CellSSLExpiry
	CellTLS
	CellWAF
	// NumCells is the number of cells in Cells.
	NumCells
)

// cellsBeforeName is how many Cells come before the customer name in a line.
const cellsBeforeName = colCustomerName

// Cells are a row's cells but its customer name, rendered ahead of time: each made safe exactly as
// Write makes it and encoded as an RFC 4180 field (quoted when needed, line breaks CRLF), in the
// order of the Cell constants. A domain's cells depend on its own settings only, so they can be
// kept with the domain and joined into a line at export time, with the customer name that the
// domain has then (see Head, Tail and Writer.WriteEncoded).
type Cells [NumCells]string

// EncodeCells renders the cells of r but its customer name.
func EncodeCells(r Row) Cells {
	var (
		buf cellBuffer
		rec [len(header)]string
		out Cells
	)
	fillRecord(&buf, &rec, r)
	i := 0
	for col, cell := range rec {
		if col == colCustomerName {
			continue
		}
		out[i] = string(appendField(nil, cell))
		i++
	}
	return out
}

// Head returns the start of the row's line up to the customer name: the cells before it, each
// followed by a comma.
func (c *Cells) Head() string {
	return strings.Join(c[:cellsBeforeName], ",") + ","
}

// Tail returns the end of the row's line after the customer name: the cells after it, each
// preceded by a comma, and the CRLF that ends the line.
func (c *Cells) Tail() string {
	return "," + strings.Join(c[cellsBeforeName:], ",") + "\r\n"
}

// appendField appends field encoded as one RFC 4180 field, byte for byte as encoding/csv's Writer
// with UseCRLF writes it: quoted when it contains a comma, a double quote, a CR or an LF, begins
// with a space, or is `\.`; quotes doubled, LF written CRLF, and CR dropped inside quotes.
func appendField(dst []byte, field string) []byte {
	if !fieldNeedsQuotes(field) {
		return append(dst, field...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(field); i++ {
		switch ch := field[i]; ch {
		case '"':
			dst = append(dst, '"', '"')
		case '\r':
		case '\n':
			dst = append(dst, '\r', '\n')
		default:
			dst = append(dst, ch)
		}
	}
	return append(dst, '"')
}

// fieldNeedsQuotes reports whether appendField quotes field, as encoding/csv decides it.
func fieldNeedsQuotes(field string) bool {
	if field == "" {
		return false
	}
	if field == `\.` || strings.ContainsAny(field, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(field)
	return unicode.IsSpace(r)
}
