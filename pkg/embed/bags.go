package embed

import "fmt"

// Bags lists, for each token id, the rows of a subword table (fastText's
// hashed character n-grams) that join the token's own row: the bag of id
// i is Rows[Off[i-base]:Off[i-base+1]], where base = Base.Len() (0 without
// a Base); ids below base are Base's. A vocabulary's bags (computed once)
// are the Base of the bags of a data set, which add the words the
// vocabulary does not hold. Off[0] is 0 and Off never decreases.
type Bags struct {
	Base *Bags
	Off  []int32
	Rows []int32
}

// Len returns the number of ids with a bag.
func (b *Bags) Len() int {
	n := max(len(b.Off)-1, 0)
	if b.Base != nil {
		n += b.Base.Len()
	}
	return n
}

// Bag returns the subword rows of id (shared, not a copy). It panics if id
// has no bag.
func (b *Bags) Bag(id int32) []int32 {
	for b.Base != nil {
		if n := b.Base.Len(); int(id) >= n {
			id -= int32(n)
			break
		}
		b = b.Base
	}
	return b.Rows[b.Off[id]:b.Off[id+1]]
}

// Add appends a bag for the next id and returns that id.
func (b *Bags) Add(rows []int32) int32 {
	if len(b.Off) == 0 {
		b.Off = append(b.Off, 0)
	}
	id := int32(b.Len())
	b.Rows = append(b.Rows, rows...)
	b.Off = append(b.Off, int32(len(b.Rows)))
	return id
}

// Check reports the first bag row outside [0, buckets) or a broken
// offset list.
func (b *Bags) Check(buckets int) error {
	for ; b != nil; b = b.Base {
		if len(b.Off) > 0 && (b.Off[0] != 0 || int(b.Off[len(b.Off)-1]) != len(b.Rows)) {
			return fmt.Errorf("embed: bag offsets do not span the rows")
		}
		for i := 1; i < len(b.Off); i++ {
			if b.Off[i] < b.Off[i-1] {
				return fmt.Errorf("embed: bag offsets decrease at %d", i)
			}
		}
		for _, r := range b.Rows {
			if r < 0 || int(r) >= buckets {
				return fmt.Errorf("embed: subword row %d out of range [0, %d)", r, buckets)
			}
		}
	}
	return nil
}

// LookupBags writes the vector of each token into dst: for row r with id
// = ids[r], word row w = W[id] when id < V, else W[unknown] (a word the
// vocabulary does not hold), and the bag's rows S of sub (a [buckets, E]
// table) added:
//
//	dst[r] = (W[w] + Σ_{j ∈ bag(id)} S[j]) / (1 + |bag(id)|)
//
// the mean of the word's row and its n-grams' rows, as fastText's word
// vectors. The caller has checked ids and bags (Check).
func (t *Table) LookupBags(dst []float32, ids []int32, bags *Bags, sub *Table, unknown int32) {
	e := t.E
	for r, id := range ids {
		d := dst[r*e : (r+1)*e]
		w, bag := t.bagOf(id, bags, unknown)
		copy(d, t.W[int(w)*e:int(w+1)*e])
		for _, j := range bag {
			for k, v := range sub.W[int(j)*e : int(j+1)*e] {
				d[k] += v
			}
		}
		if len(bag) > 0 {
			s := 1 / float32(1+len(bag))
			for k := range d {
				d[k] *= s
			}
		}
	}
}

// AddGradBags adds the gradient of LookupBags: for row r, dy[r]/(1+|bag|)
// into grad[w] and into subGrad[j] for every j of the bag, in order.
// grad may be nil (a frozen word table), and then only subGrad is written.
func (t *Table) AddGradBags(grad, subGrad []float32, ids []int32, bags *Bags, dy []float32, unknown int32) {
	e := t.E
	for r, id := range ids {
		g := dy[r*e : (r+1)*e]
		w, bag := t.bagOf(id, bags, unknown)
		s := 1 / float32(1+len(bag))
		if grad != nil {
			dst := grad[int(w)*e : int(w+1)*e]
			for k, v := range g {
				dst[k] += v * s
			}
		}
		for _, j := range bag {
			dst := subGrad[int(j)*e : int(j+1)*e]
			for k, v := range g {
				dst[k] += v * s
			}
		}
	}
}

// bagOf returns the word row and the subword bag of id.
func (t *Table) bagOf(id int32, bags *Bags, unknown int32) (int32, []int32) {
	w := id
	if int(id) >= t.V {
		w = unknown
	}
	return w, bags.Bag(id)
}
