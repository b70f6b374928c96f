package model

import "fmt"

// packing describes the packed time-major layout of one batch (the layout of
// PyTorch's PackedSequence): the samples still active at step t are a prefix
// 0..n[t]-1 of the batch, and their rows are stored contiguously from row
// off[t]. Padded steps have no row at all.
type packing struct {
	B, T int   // batch size; steps run (masked: the longest length)
	N    int   // rows in all = off[T]
	n    []int // [T] active samples at step t, non-increasing, n[0] <= B
	off  []int // [T+1] off[t] = n[0] + ... + n[t-1]
	last []int // [B] row of sample b's last real step, -1 for an empty sample
	lens []int // [B] steps run by sample b (masked: its length; else T)
}

// build lays out a batch of B samples. With masked, lengths (len B,
// non-increasing, each in [0, T]) are the real token counts and the steps run
// are those of the longest sample; otherwise every sample runs all T steps.
// It panics on lengths that break the contract.
func (p *packing) build(B, T int, lengths []int, masked bool) {
	p.B = B
	p.T = T
	if masked {
		if len(lengths) != B {
			panic(fmt.Sprintf("model: Input.Lengths has %d entries, want B = %d", len(lengths), B))
		}
		p.T = 0
		for b, l := range lengths {
			if l < 0 || l > T {
				panic(fmt.Sprintf("model: Input.Lengths[%d] = %d outside [0, T = %d]", b, l, T))
			}
			if b > 0 && l > lengths[b-1] {
				panic(fmt.Sprintf("model: Input.Lengths must be non-increasing, got %d after %d at %d", l, lengths[b-1], b))
			}
		}
		if B > 0 {
			p.T = lengths[0]
		}
	}
	p.n = grow(p.n, p.T)
	p.off = grow(p.off, p.T+1)
	p.last = grow(p.last, B)
	p.lens = grow(p.lens, B)
	if masked {
		// n[t] = #{b : lengths[b] > t}; walk the sorted lengths from the end.
		b := B
		for t := 0; t < p.T; t++ {
			for b > 0 && lengths[b-1] <= t {
				b--
			}
			p.n[t] = b
		}
	} else {
		for t := range p.n {
			p.n[t] = B
		}
	}
	p.off[0] = 0
	for t := 0; t < p.T; t++ {
		p.off[t+1] = p.off[t] + p.n[t]
	}
	p.N = p.off[p.T]
	for b := 0; b < B; b++ {
		l := p.T
		if masked {
			l = lengths[b]
		}
		p.lens[b] = l
		if l == 0 {
			p.last[b] = -1
		} else {
			p.last[b] = p.off[l-1] + b
		}
	}
}

// reverse fills rev [N] with the row map of the time-reversed batch: the
// sequences read backwards over their own steps (masked: the real tokens in
// reverse order; unmasked: all T steps reversed, as Keras go_backwards) have
// the same lengths and so the same layout p, and row off_t+b of the reversed
// batch (sample b's step t backwards) is row rev[off_t+b] = off_{l_b-1-t}+b of
// the original. rev is an involution.
func (p *packing) reverse(rev []int32) {
	for b := 0; b < p.B; b++ {
		l := p.lens[b]
		for t := 0; t < l; t++ {
			rev[p.off[t]+b] = int32(p.off[l-1-t] + b)
		}
	}
}

// maskRows writes dst = src⊙mask for the packed rows of p, each w wide:
// row off_t+b is multiplied by mask row b (mask is [B, w]). dst may be src.
func maskRows(dst, src, mask []float32, p *packing, w int) {
	for t := 0; t < p.T; t++ {
		lo, hi := p.off[t]*w, p.off[t+1]*w
		mulInto(dst[lo:hi], src[lo:hi], mask[:hi-lo])
	}
}

// mulInto writes dst[i] = a[i]*b[i] (dst may be a or b).
func mulInto(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// grow returns s resized to n elements, reusing its array when it is large
// enough (contents are not preserved across a reallocation).
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
