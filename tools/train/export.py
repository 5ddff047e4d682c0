"""Writes a trained chatumm-tiny into the HF Chameleon layout of the spec:
config.json (with vq_config), tokenizer.json, model.safetensors (transformer
F16, VQ-GAN F32 under model.vqmodel.), checksums.txt.

  /usr/bin/python3 tools/train/export.py --ckpt /tmp/chatumm-train/mot.pt \
      --vq /tmp/chatumm-train/vq.pt --out model/embedded/chatumm-tiny
"""
import argparse
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from safetensors_io import write_safetensors  # noqa: E402
import bpe as BPE  # noqa: E402


def export(ckpt, vq, out):
    os.makedirs(out, exist_ok=True)
    tok = BPE.BPE([tuple(m) for m in ckpt["merges"]], vq["cfg"]["num_embeddings"],
                  lowercase=ckpt.get("lowercase", False))
    cfg = dict(ckpt["cfg"])
    cfg["vq_config"] = vq["cfg"]
    cfg["bos_token_id"] = tok.special("<s>")
    cfg["eos_token_id"] = tok.special("</s>")
    cfg["pad_token_id"] = tok.special("<pad>")
    cfg["torch_dtype"] = "float16"
    tensors = {}
    # Checkpoints trained with --factors carry the folded weights separately.
    for name, t in ckpt.get("export_state", ckpt["state"]).items():
        tensors[name] = (t, "F16")
    for name, t in vq["state"].items():
        tensors["model.vqmodel." + name] = (t, "F32")
    write_safetensors(os.path.join(out, "model.safetensors"), tensors)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    BPE.save_tokenizer(tok, os.path.join(out, "tokenizer.json"))
    subprocess.run([sys.executable, os.path.join(HERE, "..", "embed_checksums.py"), out], check=True)
    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print("exported %s: %d tensors, %.2f MB in all" % (out, len(tensors), total / 1e6))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--vq", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    export(torch.load(a.ckpt), torch.load(a.vq), a.out)


if __name__ == "__main__":
    main()
