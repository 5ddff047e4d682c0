package cli

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/runtime/fileio"
	"github.com/urfave/cli/v2"
)

func logitsCommand() *cli.Command {
	return &cli.Command{
		Name:  "logits",
		Usage: "write the logits of every position as raw little-endian float32 [n_ids, vocab]",
		Flags: append(modelFlags(),
			&cli.StringFlag{Name: "ids", Usage: "comma-separated token ids (the whole sequence, nothing added)"},
			&cli.StringFlag{Name: "text", Usage: "text to tokenize instead of --ids (with <s> when the tokenizer adds it)"},
			&cli.StringFlag{Name: "image", Usage: "picture whose features fill the <image_placeholder> run of the ids (Janus)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "output file"},
		),
		Action: func(c *cli.Context) error {
			if err := fileio.CheckWritable(c.String("out")); err != nil {
				return err
			}
			if p := c.String("image"); p != "" {
				if err := checkImageFile(p); err != nil {
					return err
				}
			}
			m, err := openModel(c)
			if err != nil {
				return err
			}
			defer m.Close()
			if m.T == nil {
				return fmt.Errorf("%s: the checkpoint has no transformer", m.Path)
			}
			var ids []int
			switch {
			case c.String("ids") != "" && c.String("text") != "":
				return fmt.Errorf("give --ids or --text, not both")
			case c.String("ids") != "":
				if ids, err = parseIDs(c.String("ids")); err != nil {
					return err
				}
			case c.String("text") != "":
				if m.Tok == nil {
					return fmt.Errorf("%s: %w", m.Path, chat.ErrNoTokenizer)
				}
				ids = m.Tok.Encode(c.String("text"), true)
			}
			if len(ids) == 0 {
				return fmt.Errorf("empty prompt: give --ids or --text")
			}
			capacity := m.Cfg.MaxPos
			if n := c.Int("ctx"); n > 0 && n < capacity {
				capacity = n
			}
			if len(ids) > capacity {
				return fmt.Errorf("%w: the prompt of %d tokens is longer than the context of %d", decoder.ErrContextFull, len(ids), capacity)
			}
			logits, err := promptLogits(m, ids, c.String("image"), c.Bool("kv-f32"))
			if err != nil {
				return err
			}
			buf := make([]byte, 4*len(logits))
			for i, v := range logits {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			return fileio.WriteAtomic(c.String("out"), buf, 0o644)
		},
	}
}

func parseIDs(s string) ([]int, error) {
	var ids []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("--ids: %q is not a token id", f)
		}
		ids = append(ids, v)
	}
	return ids, nil
}
