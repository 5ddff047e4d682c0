"""Recover a train.py checkpoint (the transformer: its folded weights and the
BPE merges) from an exported model, so that a fine-tune can start from
shipped weights (train.py --init) when the training checkpoint is gone.

  /usr/bin/python3 tools/train/ckpt_from_export.py model/embedded/chatumm-tiny /tmp/s30-export.pt

export.py writes the transformer F16 with the attribute factors folded into
the embedding and lm_head rows, so the checkpoint has no factors (continue
it without --factors) and its weights are the F16 ones the runtime runs.
The VQ-GAN is recovered by vq_from_export.py.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
from safetensors_io import read_safetensors  # noqa: E402
import bpe as BPE  # noqa: E402
import mot as MOT  # noqa: E402
import vq as VQ  # noqa: E402


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: ckpt_from_export.py MODEL_DIR OUT.pt")
    src, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(src, "config.json")) as f:
        cfg = json.load(f)
    tok = BPE.load_tokenizer(os.path.join(src, "tokenizer.json"))
    num_codes = cfg["vq_config"]["num_embeddings"]
    state = {name: t.float() for name, (t, _) in read_safetensors(os.path.join(src, "model.safetensors")).items()
             if not name.startswith("model.vqmodel.")}
    mcfg = MOT.config(cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"],
                      cfg["num_attention_heads"], cfg["intermediate_size"], cfg["max_position_embeddings"])
    mcfg["chatumm_user_turn"] = cfg.get("chatumm_user_turn", "images_then_text")
    lo = tok.image_id(0)
    model = MOT.ChameleonMoT(mcfg, (lo, lo + num_codes))
    model.load_state_dict(state)  # strict: every tensor of the model, no extra
    if num_codes != len(VQ.patch_table(False)):
        raise SystemExit("%s: positional picture codes are not supported here" % src)
    torch.save({"cfg": mcfg, "merges": [list(m) for m in tok.merges], "state": model.state_dict(),
                "step": 0, "lowercase": tok.lowercase}, out)
    print("%s: %d transformer tensors, %d merges, vocab %d" % (out, len(state), len(tok.merges), len(tok.vocab)))


if __name__ == "__main__":
    main()
