package command

import (
	"container/list"
	"sync"
)

// aggregateCache keeps the latest known state of recently used aggregates, so a command needs no
// store round trip before its append. Staleness is safe: every append expects the cached last
// sequence, and a conflict drops the entry and reloads.
type aggregateCache[T any] struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recently used; values are *cached[T]
	byID  map[string]*list.Element
}

type cached[T any] struct {
	id  string
	seq uint64
	v   T
}

func newAggregateCache[T any](max int) *aggregateCache[T] {
	return &aggregateCache[T]{max: max, order: list.New(), byID: make(map[string]*list.Element)}
}

// get returns a copy of the cached state.
func (c *aggregateCache[T]) get(id string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok {
		var zero T
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached[T]).v, true
}

// put stores v, the state as of stream sequence seq, unless a newer state is already cached.
func (c *aggregateCache[T]) put(id string, v T, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok {
		cur := e.Value.(*cached[T])
		if cur.seq <= seq {
			cur.v, cur.seq = v, seq
		}
		c.order.MoveToFront(e)
		return
	}
	c.byID[id] = c.order.PushFront(&cached[T]{id: id, seq: seq, v: v})
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.byID, old.Value.(*cached[T]).id)
	}
}

func (c *aggregateCache[T]) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok {
		c.order.Remove(e)
		delete(c.byID, id)
	}
}
