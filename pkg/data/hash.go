package data

import (
	"encoding/binary"
	"io"
)

// HashDataset writes name and every token id and label (or label set) of ds, in order, to
// h (a hash): the part of a fingerprint that identifies a data set. A nil
// ds writes name and "-none". The bytes are a stable format: training
// checkpoints and model files store fingerprints made of them.
func HashDataset(h io.Writer, name string, ds *Dataset) {
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, '\n')
	buf = append(buf, name...)
	if ds == nil {
		h.Write(append(buf, "-none"...))
		return
	}
	buf = binary.LittleEndian.AppendUint64(buf, uint64(ds.Len()))
	for i, s := range ds.Seqs {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(s)))
		for _, id := range s {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(id))
		}
		if ds.LabelSets != nil {
			// A multi-label sample: the count of its classes, then each.
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(ds.LabelSets[i]))|1<<31)
			for _, c := range ds.LabelSets[i] {
				buf = binary.LittleEndian.AppendUint32(buf, uint32(c))
			}
		} else {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(ds.Labels[i]))
		}
		if len(buf) > 60<<10 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
}
