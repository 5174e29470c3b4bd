package acd

import (
	"math/rand/v2"

	"github.com/google/btree"
)

// freeIndex holds the free agents of one level of one queue, ordered the way
// the queue's strategy wants them, so a decision never scans the level.
// A tier's ordering keys (its agent's counters, its position) never change
// while the tier is inside an index: the core takes it out first.
type freeIndex interface {
	insert(t *tier)
	remove(t *tier)
	len() int
	// first returns the best free tier, or nil.
	first(rng *rand.Rand) *tier
	// after returns the first free tier strictly after pivot in position
	// order, or nil (always nil for indexes not ordered by position).
	after(pivot *tier) *tier
	// each calls f for free tiers in order until f returns false.
	each(f func(*tier) bool)
}

// tierLess is a strict order on tiers of one level; the agent id breaks ties.
type tierLess func(a, b *tier) bool

func byPosition(a, b *tier) bool {
	if a.position != b.position {
		return a.position < b.position
	}
	return a.agent.cfg.ID < b.agent.cfg.ID
}

func byLastBridgeEnd(a, b *tier) bool {
	if a.agent.lastBridgeEndNS != b.agent.lastBridgeEndNS {
		return a.agent.lastBridgeEndNS < b.agent.lastBridgeEndNS
	}
	return byPosition(a, b)
}

func byTalkTime(a, b *tier) bool {
	if a.agent.talkTime != b.agent.talkTime {
		return a.agent.talkTime < b.agent.talkTime
	}
	return byPosition(a, b)
}

func byCalls(a, b *tier) bool {
	if a.agent.calls != b.agent.calls {
		return a.agent.calls < b.agent.calls
	}
	return byPosition(a, b)
}

func byPositionThenLastOffered(a, b *tier) bool {
	if a.position != b.position {
		return a.position < b.position
	}
	if a.agent.lastOfferedNS != b.agent.lastOfferedNS {
		return a.agent.lastOfferedNS < b.agent.lastOfferedNS
	}
	return a.agent.cfg.ID < b.agent.cfg.ID
}

// newFreeIndex is the explicit factory from strategy to index.
func newFreeIndex(s Strategy) freeIndex {
	switch s {
	case LongestIdleAgent:
		return newOrderedIndex(byLastBridgeEnd, false)
	case AgentWithLeastTalkTime:
		return newOrderedIndex(byTalkTime, false)
	case AgentWithFewestCalls:
		return newOrderedIndex(byCalls, false)
	case SequentiallyByAgentOrder:
		return newOrderedIndex(byPositionThenLastOffered, false)
	case Random:
		return &randomIndex{}
	default: // ring-all, ring-progressively, top-down, round-robin
		return newOrderedIndex(byPosition, true)
	}
}

// orderedIndex is a B-tree of tiers.
type orderedIndex struct {
	tree       *btree.BTreeG[*tier]
	byPosition bool
}

var _ freeIndex = (*orderedIndex)(nil)

func newOrderedIndex(less tierLess, positionOrdered bool) *orderedIndex {
	return &orderedIndex{tree: btree.NewG(16, btree.LessFunc[*tier](less)), byPosition: positionOrdered}
}

func (x *orderedIndex) insert(t *tier) { x.tree.ReplaceOrInsert(t) }
func (x *orderedIndex) remove(t *tier) { x.tree.Delete(t) }
func (x *orderedIndex) len() int       { return x.tree.Len() }

func (x *orderedIndex) first(*rand.Rand) *tier {
	t, _ := x.tree.Min()
	return t
}

func (x *orderedIndex) after(pivot *tier) *tier {
	if !x.byPosition {
		return nil
	}
	var found *tier
	x.tree.AscendGreaterOrEqual(pivot, func(t *tier) bool {
		if t == pivot || !byPosition(pivot, t) {
			return true
		}
		found = t
		return false
	})
	return found
}

func (x *orderedIndex) each(f func(*tier) bool) { x.tree.Ascend(btree.ItemIteratorG[*tier](f)) }

// randomIndex is a dense set with O(1) insert, remove and uniform pick.
type randomIndex struct{ tiers []*tier }

var _ freeIndex = (*randomIndex)(nil)

func (x *randomIndex) insert(t *tier) {
	t.randomSlot = len(x.tiers)
	x.tiers = append(x.tiers, t)
}

func (x *randomIndex) remove(t *tier) {
	i := t.randomSlot
	if i < 0 || i >= len(x.tiers) || x.tiers[i] != t {
		return
	}
	last := len(x.tiers) - 1
	x.tiers[i] = x.tiers[last]
	x.tiers[i].randomSlot = i
	x.tiers[last] = nil
	x.tiers = x.tiers[:last]
	t.randomSlot = -1
}

func (x *randomIndex) len() int { return len(x.tiers) }

func (x *randomIndex) first(rng *rand.Rand) *tier {
	if len(x.tiers) == 0 {
		return nil
	}
	return x.tiers[rng.IntN(len(x.tiers))]
}

func (x *randomIndex) after(*tier) *tier { return nil }

func (x *randomIndex) each(f func(*tier) bool) {
	for _, t := range x.tiers {
		if !f(t) {
			return
		}
	}
}
