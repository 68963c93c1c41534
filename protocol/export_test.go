package protocol

// FullParse makes r parse every line in full, without the learned record
// envelope (tests compare both paths).
func FullParse(r *Reader) { r.noFast = true }
