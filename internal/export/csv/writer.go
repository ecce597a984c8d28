package csvexport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
)

// bufferSize is the size of the one buffer between the encoder and the underlying io.Writer.
const bufferSize = 64 << 10

// Writer encodes domains as the CSV export file, streaming: it holds one row and one fixed-size
// buffer, never the file. It is not safe for concurrent use.
type Writer struct {
	out    *countingWriter
	buf    *bufio.Writer
	csv    *csv.Writer
	cells  cellBuffer
	record [len(header)]string
	rows   int
	err    error

	// name is the last customer name WriteEncoded was given, and nameCell its cell, made safe and
	// encoded; a run of rows of one customer encodes it once.
	name, nameCell []byte
	named          bool
}

// NewWriter returns a Writer that writes to w. It starts the file with the UTF-8 byte order mark
// and the header row; an error doing so is returned by the first Write or Flush. A customer
// without domains gets a valid file by calling Flush without any Write.
func NewWriter(w io.Writer, opts ...Option) *Writer {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	out := &countingWriter{w: w, h: o.hash}
	buf := bufio.NewWriterSize(out, bufferSize)
	// csv.NewWriter reuses buf since it is a *bufio.Writer of at least its default size, so the
	// byte order mark and every record share one buffer.
	cw := csv.NewWriter(buf)
	cw.UseCRLF = true
	wr := &Writer{out: out, buf: buf, csv: cw}
	if _, err := buf.WriteString(bom); err != nil {
		wr.err = err
	} else if err := cw.Write(header[:]); err != nil {
		wr.err = err
	}
	return wr
}

// Write encodes r as the next row. Once a write to the underlying io.Writer has failed, Write
// returns that error and writes nothing more.
func (w *Writer) Write(r Row) error {
	if w.err != nil {
		return w.err
	}
	fillRecord(&w.cells, &w.record, r)
	err := w.csv.Write(w.record[:])
	clear(w.record[:])
	if err != nil {
		w.err = err
		return err
	}
	w.rows++
	return nil
}

// WriteEncoded writes the next row from its parts rendered ahead of time: head and tail as
// Cells.Head and Cells.Tail return them for the row's cells, and the customer name as it is, which
// WriteEncoded makes safe and encodes as Write does. The line is byte for byte the one Write
// writes for the same row. Once a write to the underlying io.Writer has failed, WriteEncoded
// returns that error and writes nothing more.
func (w *Writer) WriteEncoded(head, customerName, tail []byte) error {
	if w.err != nil {
		return w.err
	}
	if !w.named || !bytes.Equal(customerName, w.name) {
		w.name = append(w.name[:0], customerName...)
		cell := neutralizeCell(append([]byte(nil), customerName...), 0)
		w.nameCell = appendField(w.nameCell[:0], string(cell))
		w.named = true
	}
	w.buf.Write(head)
	w.buf.Write(w.nameCell)
	if _, err := w.buf.Write(tail); err != nil { // a bufio.Writer's error sticks: the last write reports any
		w.err = err
		return err
	}
	w.rows++
	return nil
}

// Flush writes any buffered data to the underlying io.Writer and reports the first error that
// writing met. After a successful Flush, Bytes and Sum describe the whole file written so far.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Rows returns the number of domain rows written, not counting the header row.
func (w *Writer) Rows() int {
	return w.rows
}

// Bytes returns the number of bytes the underlying io.Writer has accepted, byte order mark and
// header included. Data still in the buffer is not counted until Flush.
func (w *Writer) Bytes() int64 {
	return w.out.n
}

// Sum returns the SHA-256 digest of the bytes counted by Bytes when the Writer was made with
// WithSHA256, and nil otherwise.
func (w *Writer) Sum() []byte {
	if w.out.h == nil {
		return nil
	}
	return w.out.h.Sum(nil)
}
