package vqgan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// chameleonDecoderSet writes a random VQ-GAN decoder of the real Chameleon
// shape (base 128, multipliers 1,1,2,2,4, 2 res blocks, 8192×256 codebook,
// z 256; 39.3 M decoder parameters) and opens it.
func chameleonDecoderSet(b testing.TB) (*weights.Set, *Config) {
	cfg, _ := ParseConfig([]byte(`{}`)) // every default is Chameleon's
	rng := rand.New(rand.NewPCG(1, 1))
	var ts []weights.WriteTensor
	f32 := func(name string, scale float32, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]byte, 4*n)
		for i := 0; i < n; i++ {
			v := (rng.Float32()*2 - 1) * scale
			bits := math.Float32bits(v)
			data[4*i], data[4*i+1], data[4*i+2], data[4*i+3] = byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24)
		}
		ts = append(ts, weights.WriteTensor{Name: name, DType: weights.F32, Shape: shape, Data: data})
	}
	conv := func(name string, cin, cout, k int) {
		f32(name+".weight", 1/float32(cin*k*k), cout, cin, k, k)
		f32(name+".bias", 0.01, cout)
	}
	norm := func(name string, c int) {
		f32(name+".weight", 1, c)
		f32(name+".bias", 0.1, c)
	}
	res := func(name string, cin, cout int) {
		norm(name+".norm1", cin)
		conv(name+".conv1", cin, cout, 3)
		norm(name+".norm2", cout)
		conv(name+".conv2", cout, cout, 3)
		if cin != cout {
			conv(name+".nin_shortcut", cin, cout, 1)
		}
	}
	attn := func(name string, c int) {
		norm(name+".norm", c)
		for _, p := range []string{"q", "k", "v", "proj_out"} {
			conv(name+"."+p, c, c, 1)
		}
	}
	f32("quantize.embedding.weight", 1, cfg.NumEmbeddings, cfg.EmbedDim)
	conv("post_quant_conv", cfg.EmbedDim, cfg.LatentChannels, 1)
	mult := cfg.ChannelMult
	blockIn := cfg.BaseChannels * mult[len(mult)-1]
	conv("decoder.conv_in", cfg.LatentChannels, blockIn, 3)
	res("decoder.mid.block_1", blockIn, blockIn)
	attn("decoder.mid.attn_1", blockIn)
	res("decoder.mid.block_2", blockIn, blockIn)
	for i := len(mult) - 1; i >= 0; i-- {
		out := cfg.BaseChannels * mult[i]
		for j := 0; j <= cfg.NumResBlocks; j++ {
			res(fmt.Sprintf("decoder.up.%d.block.%d", i, j), blockIn, out)
			blockIn = out
		}
		if i != 0 {
			conv(fmt.Sprintf("decoder.up.%d.upsample.conv", i), blockIn, blockIn, 3)
		}
	}
	norm("decoder.norm_out", blockIn)
	conv("decoder.conv_out", blockIn, 3, 3)
	path := filepath.Join(b.TempDir(), "vq.safetensors")
	if err := weights.WriteSafetensors(path, ts, nil); err != nil {
		b.Fatal(err)
	}
	set, err := weights.Open(path, weights.Mmap)
	if err != nil {
		b.Fatal(err)
	}
	return set, cfg
}

// BenchmarkDecode512 decodes one 512×512 image with the real Chameleon
// VQ-GAN shape (tools/reference/vq_decode_bench.py times PyTorch on the
// same shape).
func BenchmarkDecode512(b *testing.B) {
	set, cfg := chameleonDecoderSet(b)
	defer set.Close()
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			m, err := Load(set, cfg, runtime.NewPool(threads))
			if err != nil {
				b.Fatal(err)
			}
			codes := make([]int, 32*32)
			for i := range codes {
				codes[i] = (i * 131) % cfg.NumEmbeddings
			}
			b.ResetTimer()
			t0 := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := m.Decode(codes); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(time.Since(t0).Seconds()/float64(b.N), "s/image")
		})
	}
}
