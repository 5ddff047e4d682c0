package tokenizer

// ByteLevelAlphabet returns the 256 characters GPT-2's byte-level mapping
// gives bytes 0..255, in byte order: the base vocabulary of a byte-level BPE.
func ByteLevelAlphabet() []rune {
	out := make([]rune, 256)
	copy(out, byteToRune[:])
	return out
}
