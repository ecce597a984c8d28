package command

import (
	"container/list"
	"sync"

	"github.com/toffstech/customer-management/internal/domain"
)

// customerCache keeps the latest known state of recently used customers, so a command needs no
// store round trip before its append. Staleness is safe: every append expects the cached LastSeq,
// and a conflict drops the entry and reloads.
type customerCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recently used; values are *domain.Customer
	byID  map[string]*list.Element
}

func newCustomerCache(max int) *customerCache {
	return &customerCache{max: max, order: list.New(), byID: make(map[string]*list.Element)}
}

// get returns a copy of the cached customer.
func (c *customerCache) get(id string) (domain.Customer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok {
		return domain.Customer{}, false
	}
	c.order.MoveToFront(e)
	return *e.Value.(*domain.Customer), true
}

// put stores a copy of cu unless a newer state is already cached.
func (c *customerCache) put(cu domain.Customer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[cu.ID]; ok {
		cur := e.Value.(*domain.Customer)
		if cur.LastSeq <= cu.LastSeq {
			*cur = cu
		}
		c.order.MoveToFront(e)
		return
	}
	c.byID[cu.ID] = c.order.PushFront(&cu)
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.byID, old.Value.(*domain.Customer).ID)
	}
}

func (c *customerCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok {
		c.order.Remove(e)
		delete(c.byID, id)
	}
}
