package decoder

// Config is the decoder's shape and numerics. Families fill it from their
// own config files (config.json, GGUF metadata).
type Config struct {
	VocabSize     int
	Dim           int // hidden_size
	FFN           int // intermediate_size
	Layers        int
	Heads         int
	KVHeads       int
	HeadDim       int
	RMSEps        float32
	RopeTheta     float64
	MaxPos        int
	SwinNorm      bool // Chameleon-7B's layout: norms after attention and MLP, none before
	TieEmbeddings bool
	QKNorm        bool // Chameleon's per-head LayerNorm on q and k
	MoT           bool // separate experts for image-token positions
	// RopeInterleaved selects pairs (2i, 2i+1) instead of rotate-half; set
	// for GGUF llama files, whose q/k rows llama.cpp's converter permuted.
	RopeInterleaved bool
}
