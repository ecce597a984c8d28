package csvexport

// bom is the UTF-8 byte order mark that starts every file, so that spreadsheets read the file as
// UTF-8.
const bom = "\ufeff"

// header is the first row of every file, in column order.
var header = [...]string{
	"Host",
	"HTTP Ports",
	"HTTPS Ports",
	"Scheme",
	"Customer Name",
	"Origin",
	"Origin Port",
	"Cache Configuration",
	"Redirection",
	"SSL Expiry Date",
	"TLS Protocol",
	"WAF Configuration",
}

// Header returns the column names of the file's first row, in order. The slice is a copy.
func Header() []string {
	return append([]string(nil), header[:]...)
}
