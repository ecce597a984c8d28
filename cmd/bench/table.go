package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// table is a plain-text table: text columns are aligned left, columns marked right (numbers) right.
type table struct {
	header []string
	right  []bool
	rows   [][]string
}

// newTable returns a table with the given column headers; a header starting with ">" marks a
// right-aligned column (the ">" is not printed).
func newTable(headers ...string) *table {
	t := &table{}
	for _, h := range headers {
		r := strings.HasPrefix(h, ">")
		t.header = append(t.header, strings.TrimPrefix(h, ">"))
		t.right = append(t.right, r)
	}
	return t
}

// add appends a row; each cell is formatted with fmt.Sprint.
func (t *table) add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	t.rows = append(t.rows, row)
}

// write prints the table, each line starting with indent, columns two spaces apart.
func (t *table) write(w io.Writer, indent string) {
	width := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			if i < len(width) {
				width[i] = max(width[i], utf8.RuneCountInString(c))
			}
		}
	}
	for _, row := range append([][]string{t.header}, t.rows...) {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range row {
			if i >= len(width) {
				break
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if t.right[i] {
				b.WriteString(pad + c)
			} else if i == len(row)-1 {
				b.WriteString(c)
			} else {
				b.WriteString(c + pad)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}
