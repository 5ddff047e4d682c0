package sample

import (
	"math"
	"strconv"
)

// Names of the sampling parameters, as Validate reports them in
// ParamError.Field (a caller maps them to its own flag names).
const (
	FieldTemperature       = "temperature"
	FieldTopK              = "top-k"
	FieldTopP              = "top-p"
	FieldRepetitionPenalty = "repetition penalty"
)

// ParamError says which sampling parameter is out of range. Error reads
// "temperature NaN: want a finite number ≥ 0"; a command line can print
// "--temp NaN: want ..." from Value and Want.
type ParamError struct {
	Field string // one of the Field constants
	Value string // the offending value as the user would write it
	Want  string // the accepted range, in words
}

func (e *ParamError) Error() string { return e.Field + " " + e.Value + ": want " + e.Want }

// Validate reports the first parameter out of range. The zero value of
// each field is valid and means "off" (greedy, no top-k, no top-p, no
// penalty). It allocates nothing when p is valid, so the sampler can run
// it for every token.
func (p Params) Validate() error {
	bad := func(field string, v float64, want string) error {
		return &ParamError{Field: field, Value: strconv.FormatFloat(v, 'g', -1, 32), Want: want}
	}
	t := float64(p.Temperature)
	if math.IsNaN(t) || math.IsInf(t, 0) || t < 0 {
		return bad(FieldTemperature, t, "a finite number ≥ 0 (0 = greedy)")
	}
	if p.TopK < 0 {
		return &ParamError{Field: FieldTopK, Value: strconv.Itoa(p.TopK), Want: "an integer ≥ 0 (0 = off)"}
	}
	// 0 keeps its meaning of "off" so that a zero Params is valid.
	if tp := float64(p.TopP); !(tp >= 0 && tp <= 1) {
		return bad(FieldTopP, tp, "a number in [0, 1] (0 or 1 = off)")
	}
	r := float64(p.RepetitionPenalty)
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return bad(FieldRepetitionPenalty, r, "a finite number ≥ 0 (0 or 1 = off)")
	}
	return nil
}

// greedy reports whether p picks the best token without drawing: a zero
// temperature, top-k 1, or a temperature so small that 1/t overflows a
// float32 (the limit of t → 0 is the argmax, so that is what it means).
func (p Params) greedy() bool {
	return p.Temperature <= 0 || p.TopK == 1 || 1/float64(p.Temperature) > math.MaxFloat32
}
