package tokenizer

import (
	"encoding/json"
	"fmt"
)

// templateItem is one element of a TemplateProcessing "single" template:
// either fixed special-token ids or the encoded sequence itself.
type templateItem struct {
	ids      []int
	sequence bool
}

type postProcessorJSON struct {
	typed
	Processors []json.RawMessage `json:"processors"`
	Single     []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int `json:"ids"`
	} `json:"special_tokens"`
	// BertProcessing / RobertaProcessing: [token, id]
	Cls []any `json:"cls"`
	Sep []any `json:"sep"`
}

// parsePostProcessor returns the single-sequence template, or nil when the
// post-processor adds nothing to ids (null, ByteLevel).
func parsePostProcessor(raw json.RawMessage, vocab map[string]int) ([]templateItem, error) {
	if isNull(raw) {
		return nil, nil
	}
	var p postProcessorJSON
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("bad post_processor: %v", err)
	}
	switch p.Type {
	case "ByteLevel":
		return nil, nil
	case "Sequence":
		var template []templateItem
		for _, sub := range p.Processors {
			t, err := parsePostProcessor(sub, vocab)
			if err != nil {
				return nil, err
			}
			if t != nil {
				if template != nil {
					return nil, fmt.Errorf("post_processor Sequence with two templates is not supported")
				}
				template = t
			}
		}
		return template, nil
	case "TemplateProcessing":
		template := []templateItem{}
		for _, item := range p.Single {
			switch {
			case item.Sequence != nil:
				if item.Sequence.ID != "A" {
					return nil, fmt.Errorf("single template refers to sequence %q", item.Sequence.ID)
				}
				template = append(template, templateItem{sequence: true})
			case item.SpecialToken != nil:
				special, ok := p.SpecialTokens[item.SpecialToken.ID]
				if !ok {
					return nil, fmt.Errorf("template special token %q is not in special_tokens", item.SpecialToken.ID)
				}
				template = append(template, templateItem{ids: special.IDs})
			default:
				return nil, fmt.Errorf("template item is neither SpecialToken nor Sequence")
			}
		}
		return template, nil
	case "BertProcessing", "RobertaProcessing":
		cls, err := processorToken(p.Cls, vocab)
		if err != nil {
			return nil, err
		}
		sep, err := processorToken(p.Sep, vocab)
		if err != nil {
			return nil, err
		}
		return []templateItem{{ids: []int{cls}}, {sequence: true}, {ids: []int{sep}}}, nil
	}
	return nil, fmt.Errorf("post_processor %q is not supported", p.Type)
}

// processorToken reads a ["token", id] pair of Bert/RobertaProcessing.
func processorToken(pair []any, vocab map[string]int) (int, error) {
	if len(pair) == 2 {
		if id, ok := pair[1].(float64); ok && id >= 0 {
			return int(id), nil
		}
		if name, ok := pair[0].(string); ok {
			if id, ok := vocab[name]; ok {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("bad cls/sep entry %v in post_processor", pair)
}

func (t *Tokenizer) applyTemplate(ids []int) []int {
	out := make([]int, 0, len(ids)+4)
	for _, item := range t.template {
		if item.sequence {
			out = append(out, ids...)
		} else {
			out = append(out, item.ids...)
		}
	}
	return out
}
