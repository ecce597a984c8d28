package csvexport

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenFiles are the golden files and the rows each one encodes.
var goldenFiles = []struct {
	name string
	rows func() []Row
}{
	{"empty.csv", func() []Row { return nil }},
	{"typical.csv", typicalRows},
	{"injection.csv", injectionRows},
}

// encode writes rows through a Writer and returns the file.
func encode(t testing.TB, rows []Row) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return buf.Bytes()
}

// decode checks that data starts with the byte order mark, ends lines with CRLF only, and parses
// as RFC 4180 CSV with the header first; it returns the records after the header.
func decode(t *testing.T, data []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(data, []byte(bom))
	if !ok {
		t.Fatalf("file does not start with the UTF-8 byte order mark: %q", data[:min(len(data), 8)])
	}
	if bytes.Count(rest, []byte("\n")) != bytes.Count(rest, []byte("\r\n")) {
		t.Errorf("file has a line feed that is not part of CRLF")
	}
	if bytes.Count(rest, []byte("\r")) != bytes.Count(rest, []byte("\r\n")) {
		t.Errorf("file has a carriage return that is not part of CRLF")
	}
	if !bytes.HasSuffix(rest, []byte("\r\n")) {
		t.Errorf("file does not end with CRLF")
	}
	records, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(records) == 0 || !slices.Equal(records[0], Header()) {
		t.Fatalf("header = %q, want %q", records[0], Header())
	}
	return records[1:]
}

func TestGoldenFiles(t *testing.T) {
	for _, g := range goldenFiles {
		t.Run(g.name, func(t *testing.T) {
			got := encode(t, g.rows())
			path := filepath.Join("testdata", g.name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/export/csv -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run go test ./internal/export/csv -update after checking the change)\ngot:\n%q\nwant:\n%q", path, got, want)
			}
			if records := decode(t, want); len(records) != len(g.rows()) {
				t.Errorf("%s has %d rows, want %d", path, len(records), len(g.rows()))
			}
		})
	}
}

func TestGoldenEmptyIsHeaderOnly(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "empty.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := bom + "Host,HTTP Ports,HTTPS Ports,Scheme,Customer Name,Origin,Origin Port," +
		"Cache Configuration,Redirection,SSL Expiry Date,TLS Protocol,WAF Configuration\r\n"
	if string(data) != want {
		t.Errorf("empty.csv = %q, want %q", data, want)
	}
}

func TestGoldenTypicalCells(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "typical.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{
			"www.example.com",
			"80; 8080",
			"443; 6066",
			"HTTPS",
			"Café Müller, Inc.",
			"203.0.113.10; 203.0.113.11 (backup); origin.example.net (disabled); spare.example.net (backup, disabled)",
			"443; 443; 8443; 8443",
			"enabled; ttl=120m; query string ignored; extensions=css, js; follow origin off",
			"domain flattening on; redirect to HTTPS://example.com; rules: old-blog 301 static → https://example.com/blog (priority 1), promo 302 dynamic → https://example.com/promo?a=1,2 (priority 2)",
			"2027-01-31",
			"TLSv1.2; TLSv1.3",
			"enabled; mode=Block; OWASP A01, A02, A03",
		},
		{
			"xn--bcher-kva.example",
			"80",
			"N/A",
			"HTTP",
			"Bücher & Co",
			"origin.xn--bcher-kva.example",
			"80",
			"disabled",
			"none",
			"N/A",
			"TLSv1; TLSv1.1; TLSv1.2",
			"enabled; mode=Detection; OWASP none",
		},
		{
			"api.example.org",
			"N/A",
			"443",
			"HTTPS",
			`Example "Quoted" Ltd`,
			"N/A",
			"N/A",
			"enabled; ttl=1440m; query string included; follow origin on; force params=utm_source, ref",
			"redirect to HTTP://legacy.example.org/path",
			"2026-12-01",
			"N/A",
			"disabled",
		},
	}
	got := decode(t, data)
	if len(got) != len(want) {
		t.Fatalf("typical.csv has %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for j, col := range Header() {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d, %s = %q, want %q", i+1, col, got[i][j], want[i][j])
			}
		}
	}
}

func TestGoldenInjectionCells(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "injection.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, data)
	if len(got) != len(dangerousPrefixes)+3 {
		t.Fatalf("injection.csv has %d rows, want %d", len(got), len(dangerousPrefixes)+3)
	}
	for i, record := range got {
		for j, cell := range record {
			if cell != "" && strings.ContainsRune(formulaPrefixes, rune(cell[0])) {
				t.Errorf("row %d, %s = %q begins with a formula character", i+1, Header()[j], cell)
			}
		}
	}
	for i, p := range dangerousPrefixes {
		// encoding/csv reads the CRLF written for a line break back as LF.
		want := "'" + strings.ReplaceAll(p.value, "\r", "\n")
		for _, col := range []int{colHost, colScheme, colCustomerName, colOrigin, colTLS} {
			if got[i][col] != want {
				t.Errorf("%s row, %s = %q, want %q", p.name, Header()[col], got[i][col], want)
			}
		}
	}
	quotes := got[len(dangerousPrefixes)]
	if c := quotes[colCustomerName]; c != `He said "hi", then left` {
		t.Errorf("Customer Name = %q, want the quotes and comma intact", c)
	}
	if c := quotes[colOrigin]; c != `o"rigin,.example.com` {
		t.Errorf("Origin = %q, want the quote and comma intact", c)
	}
	if c := quotes[colRedirection]; c != `redirect to HTTPS://example.com/a,b"c` {
		t.Errorf("Redirection = %q, want the quote and comma intact", c)
	}
	lines := got[len(dangerousPrefixes)+1]
	if c := lines[colCustomerName]; c != "First line\nsecond line\nthird line\nfourth" {
		t.Errorf("Customer Name = %q, want four lines", c)
	}
	spaced := got[len(dangerousPrefixes)+2]
	if c := spaced[colHost]; c != " leading-space.example.com" {
		t.Errorf("Host = %q, want the leading space kept", c)
	}
	if c := spaced[colCustomerName]; c != "Trailing=equals+plus-minus@at" {
		t.Errorf("Customer Name = %q, want it unchanged", c)
	}
}
