package cli

import (
	"fmt"
	"image"
	"time"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/model"
	"github.com/urfave/cli/v2"
)

// benchGuidance is the image test's guidance: --cfg, or for a Janus model
// without --cfg its own.
func benchGuidance(c *cli.Context, m *model.Model) string {
	if !c.IsSet("cfg") && m.Family().Guidance() == "janus" {
		return "janus"
	}
	return c.String("cfg")
}

// benchJanusPictures adds, for a Janus model, the two costs of a picture
// beyond its guided tokens: the VQ-16 decode (test "vq-decode") and
// reading a picture (SigLIP + aligner + the prefill of its block, test
// "understand"), each in pictures/s, r times after a warm-up. The image
// test's result img gives the model's labels.
func benchJanusPictures(c *cli.Context, m *model.Model, threads int, img benchResult) error {
	if m.Janus == nil {
		return nil
	}
	codes := make([]int, m.ImageTokens())
	for i := range codes {
		codes[i] = (i * 7919) % m.Cfg.Janus.Codes
	}
	decode := func() error {
		if !m.CanDecodeImages() {
			return nil
		}
		_, err := m.DecodeImagePNG(codes, 0, 0)
		return err
	}
	picture := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range picture.Pix {
		picture.Pix[i] = byte(i * 31)
	}
	understand := func() error {
		if !m.CanReadImages() {
			return nil
		}
		feats, err := m.ImageFeatures(picture)
		if err != nil {
			return err
		}
		D := m.Cfg.Dim
		f := &m.Proto.Image
		ids := []int{m.Proto.BOS, f.Begin}
		vecs := [][]float32{nil, nil}
		for k := 0; k*D < len(feats); k++ {
			ids, vecs = append(ids, f.Placeholder), append(vecs, feats[k*D:(k+1)*D])
		}
		ids, vecs = append(ids, f.End), append(vecs, nil)
		return m.Prefill(m.T.NewState(len(ids), c.Bool("kv-f32")), ids, vecs, make([]float32, m.LogitsSize()), false)
	}
	for _, test := range []struct {
		name string
		run  func() error
		can  bool
	}{{"vq-decode", decode, m.CanDecodeImages()}, {"understand", understand, m.CanReadImages()}} {
		if !test.can {
			continue
		}
		r := benchResult{ModelFilename: m.Path, ModelType: img.ModelType, ModelSize: img.ModelSize, ModelNParams: img.ModelNParams,
			CPUInfo: cpuName(), Backends: "CPU (" + asm.Active().Name + ")", NThreads: threads, LoadMode: m.Weights.Mode().String()}
		var ns []float64
		for rep := 0; rep <= c.Int("r"); rep++ {
			t0 := time.Now()
			if err := test.run(); err != nil {
				return fmt.Errorf("%s: %v", test.name, err)
			}
			if rep == 0 {
				continue // warm-up
			}
			e := time.Since(t0)
			ns = append(ns, float64(e.Nanoseconds()))
			r.SamplesTS = append(r.SamplesTS, 1/e.Seconds())
		}
		avg, sd := meanStd(ns)
		r.AvgNS, r.StddevNS = int64(avg), int64(sd)
		r.AvgTS, r.StddevTS = meanStd(r.SamplesTS)
		r.ResidentBytes, r.PeakRSS = m.Weights.ResidentBytes(), peakRSS()
		printBench(c, r, test.name+" (pictures/s)")
	}
	return nil
}
