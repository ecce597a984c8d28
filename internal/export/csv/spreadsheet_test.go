package csvexport_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestOpensAsASpreadsheet opens the golden exports in LibreOffice Calc the way a person's
// spreadsheet would — UTF-8, formulas evaluated — and saves them back as CSV: every cell must come
// back as the same text (accents, quotes, commas and line breaks intact) and no cell may have been
// evaluated as a formula.
func TestOpensAsASpreadsheet(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatal("LibreOffice is missing: run scripts/ensure-libreoffice.sh (make test does)")
	}
	// Import as a double-click would: comma, double quote, UTF-8, from line 1, standard cell
	// formats (only the date column as text, so dates come back as written), en-US, quoted fields
	// not forced to text (token 7 false) and formulas evaluated (token 13 true). An unguarded
	// "=HYPERLINK(…)" becomes a formula there; a guarded one stays the text it was.
	in := "Text - txt - csv (StarCalc):44,34,76,1,10/2,1033,false,false,false,false,false,-1,true"
	out := "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,true,false,false,false,false"
	for _, name := range []string{"typical.csv", "injection.csv"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "in.csv"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless",
				"--infilter="+in, "--convert-to", out, "--outdir", filepath.Join(dir, "out"), filepath.Join(dir, "in.csv"))
			cmd.Env = append(os.Environ(), "HOME="+dir)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("soffice: %v\n%s", err, b)
			}
			got, err := os.ReadFile(filepath.Join(dir, "out", "in.csv"))
			if err != nil {
				t.Fatalf("soffice wrote no output: %v", err)
			}
			// The same import saved as a workbook: no cell may hold a formula.
			xcmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless",
				"--infilter="+in, "--convert-to", "xlsx", "--outdir", filepath.Join(dir, "xlsx"), filepath.Join(dir, "in.csv"))
			xcmd.Env = cmd.Env
			if b, err := xcmd.CombinedOutput(); err != nil {
				t.Fatalf("soffice xlsx: %v\n%s", err, b)
			}
			if sheet := sheetXML(t, filepath.Join(dir, "xlsx", "in.xlsx")); strings.Contains(sheet, "<f>") || strings.Contains(sheet, "<f ") {
				t.Errorf("a cell was imported as a formula")
			}
			want := readCSV(t, bytes.TrimPrefix(src, []byte("\ufeff")))
			have := readCSV(t, got)
			if len(have) != len(want) {
				t.Fatalf("%d rows back, want %d", len(have), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(have[i], want[i]) {
					t.Errorf("row %d came back as\n%q\nwant\n%q", i, have[i], want[i])
				}
			}
		})
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	for _, rec := range recs {
		for j := range rec {
			rec[j] = strings.ReplaceAll(rec[j], "\r\n", "\n")
		}
	}
	return recs
}

// sheetXML returns the first worksheet of an xlsx file.
func sheetXML(t *testing.T, path string) string {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("no workbook: %v", err)
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatal("the workbook has no sheet1")
	return ""
}
