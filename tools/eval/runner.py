"""Runs an exported chatumm-tiny directory in PyTorch, the way the Go runtime
does: loads config.json / tokenizer.json / model.safetensors, encodes user
images with the VQ-GAN encoder, and generates model turns with a KV cache and
the runtime's two-state machine (text state: image codes, <eoss> and <pad>
masked; after <racm3:break>: exactly H*W image tokens, then <eoss> is forced;
a turn ends at <reserved08706> or </s>). Greedy decoding.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "train"))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import bpe as BPE  # noqa: E402
import vq as VQ  # noqa: E402
import world as W  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402


class Runner:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = json.load(f)
        self.tok = BPE.load_tokenizer(os.path.join(model_dir, "tokenizer.json"))
        raw = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.w = {k: v.float() for k, (v, _) in raw.items()}
        vq_state = {k[len("model.vqmodel."):]: v for k, v in self.w.items() if k.startswith("model.vqmodel.")}
        self.vq = VQ.VQModel(self.cfg["vq_config"])
        self.vq.load_state_dict(vq_state)
        self.vq.eval()
        self.side = self.cfg["vq_config"]["resolution"] // 2 ** (len(self.cfg["vq_config"]["channel_multiplier"]) - 1)
        k = self.cfg["vq_config"]["num_embeddings"]
        self.img_lo = self.tok.image_id(0)
        self.img_hi = self.img_lo + k
        V = self.cfg["vocab_size"]
        self.text_mask = torch.zeros(V, dtype=torch.bool)   # True = forbidden in text state
        self.text_mask[self.img_lo:self.img_hi] = True
        self.text_mask[self.tok.special("<eoss>")] = True
        self.text_mask[self.tok.special("<pad>")] = True
        self.image_mask = torch.ones(V, dtype=torch.bool)
        self.image_mask[self.img_lo:self.img_hi] = False
        hd = self.cfg["head_dim"]
        self.inv_freq = 1.0 / (self.cfg["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))

    # ------------------------------------------------------------ transformer

    def new_cache(self):
        return {"k": [None] * self.cfg["num_hidden_layers"], "v": [None] * self.cfg["num_hidden_layers"], "n": 0}

    def _rms(self, x, name, img):
        w = torch.where(img[:, None], self.w[name + "_moe_gen.weight"] if name != "model.norm" else self.w["model.norm_moe_gen.weight"],
                        self.w[name + ".weight"])
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.cfg["rms_norm_eps"]) * w

    def _lin(self, x, name, img, suffix_at):
        """Linear with the expert chosen per row; suffix_at is where _moe_gen goes."""
        wt = self.w[name % ""]
        wi = self.w[name % "_moe_gen"]
        return torch.where(img[:, None], x @ wi.t(), x @ wt.t())

    def forward(self, ids, cache):
        """ids: list of new token ids -> logits of the last one; extends cache."""
        c = self.cfg
        H, hd = c["num_attention_heads"], c["head_dim"]
        T = len(ids)
        idt = torch.tensor(ids)
        img = (idt >= self.img_lo) & (idt < self.img_hi)
        pos = torch.arange(cache["n"], cache["n"] + T, dtype=torch.float32)
        ang = pos[:, None] * self.inv_freq[None]
        ang = torch.cat((ang, ang), -1)[:, None, :]     # [T, 1, hd]
        cos, sin = ang.cos(), ang.sin()
        h = self.w["model.embed_tokens.weight"][idt]
        for i in range(c["num_hidden_layers"]):
            p = "model.layers.%d." % i
            x = self._rms(h, p + "input_layernorm", img)
            q = self._lin(x, p + "self_attn.q_proj%s.weight", img, 0).reshape(T, H, hd)
            k = self._lin(x, p + "self_attn.k_proj%s.weight", img, 0).reshape(T, H, hd)
            v = self._lin(x, p + "self_attn.v_proj%s.weight", img, 0).reshape(T, H, hd)
            sel = img[:, None, None]
            q = F.layer_norm(q, (hd,), eps=1e-5)
            k = F.layer_norm(k, (hd,), eps=1e-5)
            q = q * torch.where(sel, self.w[p + "self_attn.q_norm_moe_gen.weight"], self.w[p + "self_attn.q_norm.weight"]) + \
                torch.where(sel, self.w[p + "self_attn.q_norm_moe_gen.bias"], self.w[p + "self_attn.q_norm.bias"])
            k = k * torch.where(sel, self.w[p + "self_attn.k_norm_moe_gen.weight"], self.w[p + "self_attn.k_norm.weight"]) + \
                torch.where(sel, self.w[p + "self_attn.k_norm_moe_gen.bias"], self.w[p + "self_attn.k_norm.bias"])
            q = q * cos + torch.cat((-q[..., hd // 2:], q[..., :hd // 2]), -1) * sin
            k = k * cos + torch.cat((-k[..., hd // 2:], k[..., :hd // 2]), -1) * sin
            K = k if cache["k"][i] is None else torch.cat((cache["k"][i], k))
            Vv = v if cache["v"][i] is None else torch.cat((cache["v"][i], v))
            cache["k"][i], cache["v"][i] = K, Vv
            s = torch.einsum("thd,shd->hts", q, K) / math.sqrt(hd)
            n_all = K.shape[0]
            causal = torch.arange(n_all)[None, :] > (torch.arange(T)[:, None] + cache["n"])
            s = s.masked_fill(causal[None], float("-inf"))
            o = torch.einsum("hts,shd->thd", torch.softmax(s, -1), Vv).reshape(T, H * hd)
            h = h + self._lin(o, p + "self_attn.o_proj%s.weight", img, 0)
            x = self._rms(h, p + "post_attention_layernorm", img)
            g = self._lin(x, p + "mlp%s.gate_proj.weight", img, 0)
            u = self._lin(x, p + "mlp%s.up_proj.weight", img, 0)
            h = h + self._lin(F.silu(g) * u, p + "mlp%s.down_proj.weight", img, 0)
        cache["n"] += T
        h = self._rms(h[-1:], "model.norm", img[-1:])
        return (h @ self.w["lm_head.weight"].t())[0]

    # ------------------------------------------------------------ images

    def encode_image(self, rgb):
        with torch.no_grad():
            return [int(v) for v in self.vq.encode(VQ.to_input(rgb[None]))[0]]

    def decode_codes(self, codes):
        with torch.no_grad():
            return VQ.to_pixels(self.vq.decode(torch.tensor([codes]), self.side))[0]

    def user_ids(self, text, images):
        """Images then text, or text then images if config.json says so."""
        img = []
        for rgb in images:
            img += [self.tok.special("<racm3:break>")] + [self.tok.image_id(c) for c in self.encode_image(rgb)] + \
                [self.tok.special("<eoss>")]
        txt = self.tok.encode(text) if text else []
        ids = txt + img if self.cfg.get("chatumm_user_turn") == "text_then_images" else img + txt
        return ids + [self.tok.special("<reserved08706>")]

    def reply(self, cache, pending, max_text=64):
        """Feeds `pending` ids, generates a model turn greedily.
        Returns (parts, ids) with parts [("text", s) | ("image", codes)]."""
        logits = self.forward(pending, cache)
        eot, eos = self.tok.special("<reserved08706>"), self.tok.special("</s>")
        boi, eoi = self.tok.special("<racm3:break>"), self.tok.special("<eoss>")
        parts, text_ids, out, n_text = [], [], [], 0
        while True:
            tok = int(logits.masked_fill(self.text_mask, float("-inf")).argmax())
            out.append(tok)
            if tok in (eot, eos):
                break
            if tok == boi:
                if text_ids:
                    parts.append(("text", self.tok.decode(text_ids)))
                    text_ids = []
                logits = self.forward([tok], cache)
                codes = []
                for j in range(self.side * self.side):
                    t = int(logits.masked_fill(self.image_mask, float("-inf")).argmax())
                    codes.append(t - self.img_lo)
                    out.append(t)
                    logits = self.forward([t], cache)
                out.append(eoi)
                logits = self.forward([eoi], cache)
                parts.append(("image", codes))
                continue
            text_ids.append(tok)
            n_text += 1
            if n_text >= max_text:
                break
            logits = self.forward([tok], cache)
        if text_ids:
            parts.append(("text", self.tok.decode(text_ids)))
        if out[-1] not in (eot, eos):
            out.append(eot)
        # The closing token is fed with the next user turn.
        return parts, out[-1:]
