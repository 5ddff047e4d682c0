"""Recover a VQ-GAN checkpoint (the train_vq.py format) from an exported model.

  python3 tools/train/vq_from_export.py model/embedded/chatumm-tiny /tmp/chatumm-train/vq4.pt

export.py writes the VQ-GAN's weights as F32 (`model.vqmodel.*`) and its config
as `vq_config`, so the recovered checkpoint is bit-exact: a newly trained
transformer can be exported with the shipped VQ-GAN without training it again
(the transformer reads --vq only at export).
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
from safetensors_io import read_safetensors  # noqa: E402
import vq as VQ  # noqa: E402

PREFIX = "model.vqmodel."


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: vq_from_export.py MODEL_DIR OUT.pt")
    src, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(src, "config.json")) as f:
        cfg = json.load(f)["vq_config"]
    state = {name[len(PREFIX):]: t.float() for name, (t, _) in
             read_safetensors(os.path.join(src, "model.safetensors")).items()
             if name.startswith(PREFIX)}
    model = VQ.VQModel(cfg)
    model.load_state_dict(state)  # strict: every tensor of the model, no extra
    positional = cfg["num_embeddings"] != len(VQ.patch_table(False))
    torch.save({"cfg": cfg, "state": model.state_dict(), "positional": positional}, out)
    print("%s: %d VQ tensors, %d codes%s" % (out, len(state), cfg["num_embeddings"],
                                            " (positional)" if positional else ""))


if __name__ == "__main__":
    main()
