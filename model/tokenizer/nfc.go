package tokenizer

import (
	"slices"
	"sort"
	"sync"
)

// Unicode NFC (canonical decomposition, canonical ordering, canonical
// composition) following the sample code of UAX #15, with tables generated
// from Python's unicodedata (nfc_tables.go).

const nfcComposes = 0x80000000 // flag in the second field of nfcDecompositions

// Hangul syllables decompose and compose algorithmically.
const (
	hangulSBase  = 0xAC00
	hangulLBase  = 0x1100
	hangulVBase  = 0x1161
	hangulTBase  = 0x11A7
	hangulLCount = 19
	hangulVCount = 21
	hangulTCount = 28
	hangulNCount = hangulVCount * hangulTCount
	hangulSCount = hangulLCount * hangulNCount
)

var nfcOnce sync.Once
var nfcDecompose map[rune][2]rune // char -> (first, second or 0)
var nfcCompose map[[2]rune]rune   // (first, second) -> primary composite

func buildNFCMaps() {
	nfcDecompose = make(map[rune][2]rune, len(nfcDecompositions)/3)
	nfcCompose = make(map[[2]rune]rune)
	for i := 0; i+2 < len(nfcDecompositions); i += 3 {
		c, a, b := rune(nfcDecompositions[i]), rune(nfcDecompositions[i+1]), nfcDecompositions[i+2]
		second := rune(b &^ nfcComposes)
		nfcDecompose[c] = [2]rune{a, second}
		if b&nfcComposes != 0 {
			nfcCompose[[2]rune{a, second}] = c
		}
	}
}

// combiningClass is the canonical combining class of r (0 for starters).
func combiningClass(r rune) int {
	table := nfcCombiningClasses
	n := len(table) / 3
	i := sort.Search(n, func(i int) bool { return rune(table[3*i+1]) >= r })
	if i < n && rune(table[3*i]) <= r {
		return int(table[3*i+2])
	}
	return 0
}

// nfc returns s in Normalization Form C.
func nfc(s string) string {
	quick := true
	for _, r := range s {
		if r >= 0x300 { // every character below U+0300 is a starter that is already NFC
			quick = false
			break
		}
	}
	if quick {
		return s
	}
	nfcOnce.Do(buildNFCMaps)

	// Full canonical decomposition.
	buf := make([]rune, 0, len(s))
	for _, r := range s {
		buf = decomposeRune(buf, r)
	}
	// Canonical ordering: stable sort of each run of non-starters by class
	// (a sort, not insertion: a text can hold one long run of marks).
	for i := 0; i < len(buf); {
		if combiningClass(buf[i]) == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(buf) && combiningClass(buf[j]) != 0 {
			j++
		}
		if j-i > 1 {
			slices.SortStableFunc(buf[i:j], func(a, b rune) int { return combiningClass(a) - combiningClass(b) })
		}
		i = j
	}
	// Canonical composition.
	if len(buf) > 0 {
		starterPos, lastClass := 0, combiningClass(buf[0])
		if lastClass != 0 {
			lastClass = 256 // a leading non-starter can never be composed with
		}
		out := 1
		for i := 1; i < len(buf); i++ {
			ch := buf[i]
			class := combiningClass(ch)
			if composite, ok := composePair(buf[starterPos], ch); ok && (lastClass < class || lastClass == 0) {
				buf[starterPos] = composite
				continue
			}
			if class == 0 {
				starterPos = out
			}
			lastClass = class
			buf[out] = ch
			out++
		}
		buf = buf[:out]
	}
	return string(buf)
}

func decomposeRune(buf []rune, r rune) []rune {
	if s := r - hangulSBase; s >= 0 && s < hangulSCount {
		buf = append(buf, hangulLBase+s/hangulNCount, hangulVBase+(s%hangulNCount)/hangulTCount)
		if t := s % hangulTCount; t != 0 {
			buf = append(buf, hangulTBase+t)
		}
		return buf
	}
	d, ok := nfcDecompose[r]
	if !ok {
		return append(buf, r)
	}
	buf = decomposeRune(buf, d[0])
	if d[1] != 0 {
		buf = decomposeRune(buf, d[1])
	}
	return buf
}

func composePair(a, b rune) (rune, bool) {
	if l, v := a-hangulLBase, b-hangulVBase; l >= 0 && l < hangulLCount && v >= 0 && v < hangulVCount {
		return hangulSBase + (l*hangulVCount+v)*hangulTCount, true
	}
	if s, t := a-hangulSBase, b-hangulTBase; s >= 0 && s < hangulSCount && s%hangulTCount == 0 && t > 0 && t < hangulTCount {
		return a + t, true
	}
	c, ok := nfcCompose[[2]rune{a, b}]
	return c, ok
}
