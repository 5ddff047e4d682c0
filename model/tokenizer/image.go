package tokenizer

import (
	"fmt"
	"strconv"
	"strings"
)

// Chameleon image tokens are named IMGIMG<letters>Z, where letters A..J are the
// decimal digits 0..9 of the VQ codebook index (model-families.md §A.5).
const (
	imageTokenPrefix = "IMGIMG"
	imageTokenSuffix = "Z"
)

// ImageTokenName is the vocabulary name of VQ code code, e.g. 12 -> "IMGIMGBCZ".
func ImageTokenName(code int) string {
	digits := strconv.Itoa(code)
	var b strings.Builder
	b.WriteString(imageTokenPrefix)
	for i := 0; i < len(digits); i++ {
		b.WriteByte('A' + digits[i] - '0')
	}
	b.WriteString(imageTokenSuffix)
	return b.String()
}

// imageCode parses an image token name; ok is false if name is not one.
func imageCode(name string) (code int, ok bool) {
	letters, found := strings.CutPrefix(name, imageTokenPrefix)
	if !found {
		return 0, false
	}
	letters, found = strings.CutSuffix(letters, imageTokenSuffix)
	if !found || letters == "" || len(letters) > 9 {
		return 0, false
	}
	for i := 0; i < len(letters); i++ {
		c := letters[i]
		if c < 'A' || c > 'J' {
			return 0, false
		}
		code = code*10 + int(c-'A')
	}
	return code, true
}

// ImageCodes builds the maps between BPE ids and VQ codes from the vocabulary
// names alone: bpe2img[id] is the code of id or -1, img2bpe[code] is its id.
// The codes must be exactly 0..K-1, each once. A text-only vocabulary (no
// image tokens) gives an empty img2bpe and no error. Errors do not name the
// file: the caller, which knows the path, adds it (once).
func (t *Tokenizer) ImageCodes() (bpe2img []int32, img2bpe []int, err error) {
	bpe2img = make([]int32, len(t.idToken))
	codeToID := make(map[int]int)
	for id, name := range t.idToken {
		bpe2img[id] = -1
		if !strings.HasPrefix(name, imageTokenPrefix) {
			continue
		}
		code, ok := imageCode(name)
		if !ok {
			return nil, nil, fmt.Errorf("token %q (id %d) starts with %s but is not an image token name", name, id, imageTokenPrefix)
		}
		if other, dup := codeToID[code]; dup {
			return nil, nil, fmt.Errorf("image code %d is named by both id %d (%q) and id %d (%q)", code, other, t.idToken[other], id, name)
		}
		codeToID[code] = id
		bpe2img[id] = int32(code)
	}
	img2bpe = make([]int, len(codeToID))
	for code := range img2bpe {
		id, ok := codeToID[code]
		if !ok {
			return nil, nil, fmt.Errorf("image codes are not 0..%d: code %d is missing", len(codeToID)-1, code)
		}
		img2bpe[code] = id
	}
	return bpe2img, img2bpe, nil
}
