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

// freeKey is a tier's place in an ordered free index. The keys are copied
// into the tree's nodes, so a search compares plain integers in contiguous
// memory instead of following pointers to agents all over the heap. primary
// and secondary come from the strategy (keyFunc); position and the agent id
// break ties.
type freeKey struct {
	primary, secondary int64
	position           int
	agent              string
	t                  *tier
}

func freeKeyLess(a, b freeKey) bool {
	if a.primary != b.primary {
		return a.primary < b.primary
	}
	if a.secondary != b.secondary {
		return a.secondary < b.secondary
	}
	if a.position != b.position {
		return a.position < b.position
	}
	return a.agent < b.agent
}

// keyFunc gives a tier's strategy keys (primary, secondary).
type keyFunc func(t *tier) (int64, int64)

func noKeys(*tier) (int64, int64)            { return 0, 0 } // by position
func byLastBridgeEnd(t *tier) (int64, int64) { return t.agent.lastBridgeEndNS, 0 }
func byTalkTime(t *tier) (int64, int64)      { return int64(t.agent.talkTime), 0 }
func byCalls(t *tier) (int64, int64)         { return int64(t.agent.calls), 0 }
func byPositionThenOffered(t *tier) (int64, int64) {
	return int64(t.position), t.agent.lastOfferedNS
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
		return newOrderedIndex(byPositionThenOffered, false)
	case Random:
		return &randomIndex{}
	default: // ring-all, ring-progressively, top-down, round-robin
		return newOrderedIndex(noKeys, true)
	}
}

// orderedIndex is a B-tree of tiers' keys.
type orderedIndex struct {
	tree       *btree.BTreeG[freeKey]
	keys       keyFunc
	byPosition bool
}

var _ freeIndex = (*orderedIndex)(nil)

func newOrderedIndex(keys keyFunc, positionOrdered bool) *orderedIndex {
	return &orderedIndex{tree: btree.NewG(32, freeKeyLess), keys: keys, byPosition: positionOrdered}
}

func (x *orderedIndex) key(t *tier) freeKey {
	p, s := x.keys(t)
	return freeKey{primary: p, secondary: s, position: t.position, agent: t.agent.cfg.ID, t: t}
}

func (x *orderedIndex) insert(t *tier) {
	t.indexed = x.key(t)
	x.tree.ReplaceOrInsert(t.indexed)
}

// remove takes t out by the key it went in with.
func (x *orderedIndex) remove(t *tier) { x.tree.Delete(t.indexed) }

func (x *orderedIndex) len() int { return x.tree.Len() }

func (x *orderedIndex) first(*rand.Rand) *tier {
	k, ok := x.tree.Min()
	if !ok {
		return nil
	}
	return k.t
}

func (x *orderedIndex) after(pivot *tier) *tier {
	if !x.byPosition {
		return nil
	}
	var found *tier
	x.tree.AscendGreaterOrEqual(x.key(pivot), func(k freeKey) bool {
		if k.t == pivot {
			return true
		}
		found = k.t
		return false
	})
	return found
}

func (x *orderedIndex) each(f func(*tier) bool) {
	x.tree.Ascend(func(k freeKey) bool { return f(k.t) })
}

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
