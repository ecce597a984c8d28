package csvexport

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// encodeAhead writes rows through WriteEncoded, from cells rendered by EncodeCells, and returns
// the file.
func encodeAhead(t testing.TB, rows []Row) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range rows {
		c := EncodeCells(r)
		if err := w.WriteEncoded([]byte(c.Head()), []byte(r.CustomerName), []byte(c.Tail())); err != nil {
			t.Fatalf("WriteEncoded: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if w.Rows() != len(rows) {
		t.Errorf("Rows() = %d, want %d", w.Rows(), len(rows))
	}
	return buf.Bytes()
}

func TestWriteEncodedMatchesWriteAndGoldenFiles(t *testing.T) {
	for _, g := range goldenFiles {
		t.Run(g.name, func(t *testing.T) {
			rows := g.rows()
			want := encode(t, rows)
			if got := encodeAhead(t, rows); !bytes.Equal(got, want) {
				t.Fatalf("WriteEncoded wrote\n%q\nWrite wrote\n%q", got, want)
			}
			golden, err := os.ReadFile(filepath.Join("testdata", g.name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, golden) {
				t.Fatalf("file differs from testdata/%s", g.name)
			}
		})
	}
}

// TestWriteEncodedCustomerNames checks the name cell, encoded once per run of equal names, when
// names change from row to row and back.
func TestWriteEncodedCustomerNames(t *testing.T) {
	names := []string{"Acme", "Acme", "=cmd|' /C calc'!A0", "Acme", " leading space", "Quote \"q\"", "Line\r\nbreak", "Acme", "\xff bad utf-8"}
	base := typicalRows()[0]
	var rows []Row
	for _, n := range names {
		r := base
		r.CustomerName = n
		rows = append(rows, r)
	}
	if got, want := encodeAhead(t, rows), encode(t, rows); !bytes.Equal(got, want) {
		t.Fatalf("WriteEncoded wrote\n%q\nWrite wrote\n%q", got, want)
	}
}

// TestEncodeCellsOrder checks that the cells follow the header, customer name left out.
func TestEncodeCellsOrder(t *testing.T) {
	r := typicalRows()[0]
	c := EncodeCells(r)
	line := c.Head() + "NAME" + c.Tail()
	rec, err := csv.NewReader(strings.NewReader(line)).Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != len(header) || rec[colCustomerName] != "NAME" || rec[colHost] != r.Host {
		t.Fatalf("line %q parsed as %q", line, rec)
	}
	if c[CellHost] != r.Host || c[CellScheme] != r.Scheme || c[CellWAF] != string(appendField(nil, rec[colWAF])) {
		t.Fatalf("cells %q", c)
	}
}

// FuzzAppendField checks appendField against encoding/csv on any field.
func FuzzAppendField(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", `say "hi"`, "two\nlines", "cr\ronly", "crlf\r\n", " lead", "\u00a0nbsp", `\.`, "tab\tin", "\u2028sep"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		w.UseCRLF = true
		if err := w.Write([]string{field}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		got := string(appendField(nil, field)) + "\r\n"
		if got != want.String() {
			t.Fatalf("appendField(%q) = %q, encoding/csv wrote %q", field, got, want.String())
		}
	})
}

// FuzzWriteEncoded checks that a row rendered ahead of time is written as Write writes it, for
// any host, customer name and origin address.
func FuzzWriteEncoded(f *testing.F) {
	f.Add("www.example.com", "Acme", "203.0.113.1")
	f.Add("=1+1", "-2", "@x")
	f.Add("\tx", "\r\n", "\"q\",")
	f.Fuzz(func(t *testing.T, host, name, origin string) {
		r := typicalRows()[0]
		r.Host, r.CustomerName = host, name
		r.Origins = []Origin{{Type: "FQDN", Address: origin, Port: 443, Enabled: true}}
		rows := []Row{r}
		if got, want := encodeAhead(t, rows), encode(t, rows); !bytes.Equal(got, want) {
			t.Fatalf("WriteEncoded wrote\n%q\nWrite wrote\n%q", got, want)
		}
	})
}
