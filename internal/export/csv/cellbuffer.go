package csvexport

// maxKeptBuffer is the largest cell buffer kept from one row to the next; a bigger one, left by an
// unusually large row, is dropped so that one such row does not pin its memory for the whole file.
const maxKeptBuffer = 64 << 10

// cellBuffer builds the cells of one row end to end in one reusable byte slice, so that a row
// costs a single string allocation however many cells it has.
type cellBuffer struct {
	buf   []byte
	ends  [len(header)]int
	col   int
	start int
}

// reset empties the buffer for the next row.
func (c *cellBuffer) reset() {
	if cap(c.buf) > maxKeptBuffer {
		c.buf = nil
	}
	c.buf = c.buf[:0]
	c.col, c.start = 0, 0
}

// endCell neutralizes the cell appended since the previous one and closes it.
func (c *cellBuffer) endCell() {
	c.buf = neutralizeCell(c.buf, c.start)
	c.ends[c.col] = len(c.buf)
	c.col++
	c.start = len(c.buf)
}

// addString appends s as a whole cell.
func (c *cellBuffer) addString(s string) {
	c.buf = append(c.buf, s...)
	c.endCell()
}

// record sets rec to the cells built, which share one string.
func (c *cellBuffer) record(rec *[len(header)]string) {
	s := string(c.buf)
	prev := 0
	for i, end := range c.ends {
		rec[i] = s[prev:end]
		prev = end
	}
}
