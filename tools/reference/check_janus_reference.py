"""Second, module-style implementation of Janus-Pro that cross-checks testdata/ref/janus-*.

janus_ref.py is functional (full causal forward per step, tensors looked up by name). This
file rebuilds the model as nn.Modules laid out the way transformers' JanusForConditionalGeneration
constructs them (the VQ channel plan follows its constructor arithmetic) and loads
model.safetensors with load_state_dict(strict=True): any missing, extra or misshapen tensor
fails the load. It then recomputes every expected output with different algorithms: LM with a
KV cache, both CFG rows batched, RoPE as complex rotation; SigLIP attention through
nn.MultiheadAttention; VQ upsampling by repeat_interleave and quantisation by argmax cosine;
tokenisation through the tokenizer.json pipeline (added tokens, Split regexes, ByteLevel, BPE
by merge rank). Prints ALL OK and exits 0 when everything agrees.

    /usr/bin/python3 tools/reference/check_janus_reference.py [--root testdata/ref]
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from safetensors_io import load_float64

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def mod(**children):
    m = nn.Module()
    for k, v in children.items():
        setattr(m, k, v)
    return m


def mlp_aligner(d_in, d_out, n):
    return mod(fc1=nn.Linear(d_in, d_out),
               hidden_layers=nn.ModuleList([nn.Linear(d_out, d_out) for _ in range(1, n)]))


def resnet(cin, cout):
    m = mod(norm1=nn.GroupNorm(32, cin, eps=1e-6), conv1=nn.Conv2d(cin, cout, 3, padding=1),
            norm2=nn.GroupNorm(32, cout, eps=1e-6), conv2=nn.Conv2d(cout, cout, 3, padding=1))
    if cin != cout:
        m.nin_shortcut = nn.Conv2d(cin, cout, 1)
    return m


def attn(c):
    return mod(norm=nn.GroupNorm(32, c, eps=1e-6), q=nn.Conv2d(c, c, 1), k=nn.Conv2d(c, c, 1),
               v=nn.Conv2d(c, c, 1), proj_out=nn.Conv2d(c, c, 1))


def mid(c):
    return mod(block_1=resnet(c, c), attn_1=attn(c), block_2=resnet(c, c))


def build(cfg):
    t, v, q = cfg["text_config"], cfg["vision_config"], cfg["vq_config"]
    D, V = t["hidden_size"], t["vocab_size"]
    H, KV = t["num_attention_heads"], t.get("num_key_value_heads", t["num_attention_heads"])
    hd = t.get("head_dim", D // H)
    eps = t.get("rms_norm_eps", 1e-6)
    layers = nn.ModuleList([mod(
        self_attn=mod(q_proj=nn.Linear(D, H * hd, bias=False), k_proj=nn.Linear(D, KV * hd, bias=False),
                      v_proj=nn.Linear(D, KV * hd, bias=False), o_proj=nn.Linear(H * hd, D, bias=False)),
        mlp=mod(gate_proj=nn.Linear(D, t["intermediate_size"], bias=False),
                up_proj=nn.Linear(D, t["intermediate_size"], bias=False),
                down_proj=nn.Linear(t["intermediate_size"], D, bias=False)),
        input_layernorm=RMSNorm(D, eps), post_attention_layernorm=RMSNorm(D, eps))
        for _ in range(t["num_hidden_layers"])])
    lm = mod(embed_tokens=nn.Embedding(V, D), layers=layers, norm=RMSNorm(D, eps))
    Hv, P = v["hidden_size"], v["patch_size"]
    n_pos = (v["image_size"] // P) ** 2
    Fv = int(Hv * v["mlp_ratio"])
    ve = v["layer_norm_eps"]
    vision = mod(
        embeddings=mod(patch_embedding=nn.Conv2d(3, Hv, P, stride=P),
                       position_embedding=nn.Embedding(n_pos, Hv)),
        encoder=mod(layers=nn.ModuleList([mod(
            layer_norm1=nn.LayerNorm(Hv, eps=ve), layer_norm2=nn.LayerNorm(Hv, eps=ve),
            self_attn=mod(q_proj=nn.Linear(Hv, Hv), k_proj=nn.Linear(Hv, Hv),
                          v_proj=nn.Linear(Hv, Hv), projection_layer=nn.Linear(Hv, Hv)),
            mlp=mod(fc1=nn.Linear(Hv, Fv), fc2=nn.Linear(Fv, Hv)))
            for _ in range(v["num_hidden_layers"])])),
        post_layernorm=nn.LayerNorm(Hv, eps=ve))
    # VQ: the constructor arithmetic of HF JanusVQVAEEncoder / JanusVQVAEDecoder.
    C, m, R = q["base_channels"], q["channel_multiplier"], q["num_res_blocks"]
    L = len(m)
    in_mult = (1,) + tuple(m)
    down = nn.ModuleList()
    for lvl in range(L):
        block_in, block_out = C * in_mult[lvl], C * m[lvl]
        blocks, attns = nn.ModuleList(), nn.ModuleList()
        for _ in range(R):
            blocks.append(resnet(block_in, block_out))
            block_in = block_out
            if lvl == L - 1:
                attns.append(attn(block_in))
        d = mod(block=blocks, attn=attns)
        if lvl != L - 1:
            d.downsample = mod(conv=nn.Conv2d(block_in, block_in, 3, stride=2))
        down.append(d)
    encoder = mod(conv_in=nn.Conv2d(3, C, 3, padding=1), down=down, mid=mid(block_in),
                  norm_out=nn.GroupNorm(32, block_in, eps=1e-6),
                  conv_out=nn.Conv2d(block_in, q["latent_channels"], 3, padding=1))
    block_in = C * m[L - 1]
    up = nn.ModuleList()
    for lvl in reversed(range(L)):
        blocks, attns = nn.ModuleList(), nn.ModuleList()
        block_out = C * m[lvl]
        for _ in range(R + 1):
            blocks.append(resnet(block_in, block_out))
            block_in = block_out
            if lvl == L - 1:
                attns.append(attn(block_in))
        u = mod(block=blocks, attn=attns)
        if lvl != 0:
            u.upsample = mod(conv=nn.Conv2d(block_in, block_in, 3, padding=1))
        up.append(u)
    decoder = mod(conv_in=nn.Conv2d(q["latent_channels"], C * m[L - 1], 3, padding=1),
                  mid=mid(C * m[L - 1]), up=up, norm_out=nn.GroupNorm(32, block_in, eps=1e-6),
                  conv_out=nn.Conv2d(block_in, 3, 3, padding=1))
    K, E = q["num_embeddings"], q["embed_dim"]
    vq = mod(encoder=encoder, decoder=decoder, quantize=mod(embedding=nn.Embedding(K, E)),
             quant_conv=nn.Conv2d(q["latent_channels"], E, 1),
             post_quant_conv=nn.Conv2d(E, q["latent_channels"], 1))
    model = mod(language_model=lm, vision_model=vision,
                aligner=mlp_aligner(Hv, v["projection_dim"], v["depth"]), vqmodel=vq,
                generation_embeddings=nn.Embedding(K, E),
                generation_aligner=mlp_aligner(E, q["projection_dim"], q["num_hidden_layers"]),
                generation_head=mod(proj_out=nn.Linear(q["image_token_embed_dim"], q["projection_dim"]),
                                    vision_head=nn.Linear(q["projection_dim"], K)))
    root = mod(model=model, lm_head=nn.Linear(D, V, bias=False))
    root.dims = dict(H=H, KV=KV, hd=hd, theta=float(t.get("rope_theta", 10000.0)), L=L, R=R,
                     g=v["image_size"] // P, Hv=Hv, vheads=v["num_attention_heads"])
    return root.double()


# ------------------------------------------------------------------ forwards (second algorithms)

class KVLM:
    """Llama decoder with a KV cache over a batch of rows; RoPE as a complex rotation."""

    def __init__(self, root):
        self.r, self.lm, self.d = root, root.model.language_model, root.dims
        self.cache = [([], []) for _ in self.lm.layers]
        self.pos = 0

    def step(self, x):
        """x [B, T, D] new embeddings -> final-norm hidden [B, T, D]."""
        d = self.d
        B, T, _ = x.shape
        pos = torch.arange(self.pos, self.pos + T, dtype=torch.float64)
        half = d["hd"] // 2
        inv = d["theta"] ** (-torch.arange(half, dtype=torch.float64) * 2 / d["hd"])
        rot = torch.polar(torch.ones(T, half, dtype=torch.float64), pos[:, None] * inv[None])

        def rope(z):  # z [B, T, n, hd]: pair (i, i+half) as one complex number
            c = torch.complex(z[..., :half], z[..., half:]) * rot[None, :, None, :]
            return torch.cat([c.real, c.imag], dim=-1)

        h = x
        for layer, (ks, vs) in zip(self.lm.layers, self.cache):
            a = layer.input_layernorm(h)
            sa = layer.self_attn
            qh = rope(sa.q_proj(a).view(B, T, d["H"], d["hd"]))
            kh = rope(sa.k_proj(a).view(B, T, d["KV"], d["hd"]))
            vh = sa.v_proj(a).view(B, T, d["KV"], d["hd"])
            ks.append(kh)
            vs.append(vh)
            K = torch.cat(ks, dim=1)
            Vv = torch.cat(vs, dim=1)
            S = K.shape[1]
            g = d["H"] // d["KV"]
            qg = qh.view(B, T, d["KV"], g, d["hd"])
            sc = torch.einsum("btkgd,bskd->bkgts", qg, K) / d["hd"] ** 0.5
            allowed = torch.arange(S)[None, :] <= (self.pos + torch.arange(T))[:, None]
            sc = sc.masked_fill(~allowed, float("-inf"))
            o = torch.einsum("bkgts,bskd->btkgd", sc.softmax(-1), Vv).reshape(B, T, -1)
            h = h + sa.o_proj(o)
            mm = layer.post_attention_layernorm(h)
            h = h + layer.mlp.down_proj(F.silu(layer.mlp.gate_proj(mm)) * layer.mlp.up_proj(mm))
        self.pos += T
        return self.lm.norm(h)


def aligner_fwd(a, x):
    x = a.fc1(x)
    for lin in a.hidden_layers:
        x = lin(F.gelu(x))
    return x


def vision_fwd(root, px):
    vm, d = root.model.vision_model, root.dims
    x = vm.embeddings.patch_embedding(px[None]).flatten(2).transpose(1, 2)
    x = x + vm.embeddings.position_embedding.weight[None]
    for layer in vm.encoder.layers:
        sa = layer.self_attn
        mha = nn.MultiheadAttention(d["Hv"], d["vheads"], batch_first=True).double()
        with torch.no_grad():
            mha.in_proj_weight.copy_(torch.cat([sa.q_proj.weight, sa.k_proj.weight, sa.v_proj.weight]))
            mha.in_proj_bias.copy_(torch.cat([sa.q_proj.bias, sa.k_proj.bias, sa.v_proj.bias]))
            mha.out_proj.weight.copy_(sa.projection_layer.weight)
            mha.out_proj.bias.copy_(sa.projection_layer.bias)
        a = layer.layer_norm1(x)
        x = x + mha(a, a, a, need_weights=False)[0]
        x = x + layer.mlp.fc2(F.gelu(layer.mlp.fc1(layer.layer_norm2(x))))
    hidden = vm.post_layernorm(x)[0]
    return hidden, aligner_fwd(root.model.aligner, hidden)


def res_fwd(b, x):
    h = b.conv2(F.silu(b.norm2(b.conv1(F.silu(b.norm1(x))))))
    return (b.nin_shortcut(x) if hasattr(b, "nin_shortcut") else x) + h


def attn_fwd(a, x):
    n = a.norm(x)
    B, C, Hh, W = x.shape
    q, k, v = (f(n).flatten(2) for f in (a.q, a.k, a.v))           # [B, C, HW]
    w = torch.einsum("bci,bcj->bij", q, k).mul(C ** -0.5).softmax(-1)
    return x + a.proj_out(torch.einsum("bij,bcj->bci", w, v).view(B, C, Hh, W))


def mid_fwd(mm, x):
    return res_fwd(mm.block_2, attn_fwd(mm.attn_1, res_fwd(mm.block_1, x)))


def vq_encode(root, px):
    vq = root.model.vqmodel
    e = vq.encoder
    x = e.conv_in(px[None])
    for lvl in e.down:
        for i, b in enumerate(lvl.block):
            x = res_fwd(b, x)
            if len(lvl.attn):
                x = attn_fwd(lvl.attn[i], x)
        if hasattr(lvl, "downsample"):
            x = lvl.downsample.conv(F.pad(x, (0, 1, 0, 1)))
    x = e.conv_out(F.silu(e.norm_out(mid_fwd(e.mid, x))))
    z = vq.quant_conv(x)[0]
    zf = z.flatten(1).T
    cos = (zf / zf.norm(dim=1, keepdim=True)) @ F.normalize(vq.quantize.embedding.weight, dim=1).T
    return z, cos.argmax(1).tolist()


def vq_decode(root, codes):
    vq, g = root.model.vqmodel, root.dims["g"]
    book = vq.quantize.embedding.weight
    z = book[torch.tensor(codes)]
    z = (z / z.norm(dim=1, keepdim=True)).T.reshape(1, -1, g, g)
    dd = vq.decoder
    x = mid_fwd(dd.mid, dd.conv_in(vq.post_quant_conv(z)))
    for u in dd.up:
        for i, b in enumerate(u.block):
            x = res_fwd(b, x)
            if len(u.attn):
                x = attn_fwd(u.attn[i], x)
        if hasattr(u, "upsample"):
            x = u.upsample.conv(x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3))
    return dd.conv_out(F.silu(dd.norm_out(x)))[0]


# ------------------------------------------------------------------ Pillow's bicubic, ported

PRECISION_BITS = 32 - 8 - 2     # Pillow src/libImaging/Resample.c, 8-bit path


def pil_bicubic(x):
    a = -0.5
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def pil_coeffs(in_size, out_size):
    """Per output index: first input index and fixed-point weights (precompute_coeffs +
    normalize_coeffs_8bpc). int() is C's truncation toward zero."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 2.0 * filterscale
    out = []
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        n = min(int(center + support + 0.5), in_size) - xmin
        w = [pil_bicubic((x + xmin - center + 0.5) / filterscale) for x in range(n)]
        total = sum(w)
        w = [v / total for v in w] if total != 0.0 else w
        out.append((xmin, [int(v * (1 << PRECISION_BITS) + (-0.5 if v < 0 else 0.5)) for v in w]))
    return out


def pil_pass(a, out_size):
    """One horizontal pass over int64 [H, W, C]; rounds and clips to 0..255 like clip8."""
    res = np.zeros((a.shape[0], out_size, a.shape[2]), dtype=np.int64)
    for xx, (xmin, k) in enumerate(pil_coeffs(a.shape[1], out_size)):
        acc = np.full((a.shape[0], a.shape[2]), 1 << (PRECISION_BITS - 1), dtype=np.int64)
        for x, kv in enumerate(k):
            acc += a[:, xmin + x, :] * kv
        res[:, xx, :] = np.clip(acc >> PRECISION_BITS, 0, 255)
    return res


def pil_resize(arr, w, h):
    """Image.resize((w, h), BICUBIC) on uint8 RGB: horizontal pass, then vertical, each only
    where the size changes."""
    a = arr.astype(np.int64)
    if a.shape[1] != w:
        a = pil_pass(a, w)
    if a.shape[0] != h:
        a = pil_pass(a.transpose(1, 0, 2), h).transpose(1, 0, 2)
    return a.astype(np.uint8)


def preprocess_png(path, S):
    """Janus preprocessing to the padded uint8 square, with the ported resize."""
    src = np.asarray(Image.open(path).convert("RGB"))
    h, w = src.shape[:2]
    L = max(w, h)
    nh, nw = max(int(h / L * S), 14), max(int(w / L * S), 14)
    canvas = np.full((max(nh, nw), max(nh, nw), 3), 127, dtype=np.uint8)
    oy, ox = (canvas.shape[0] - nh) // 2, (canvas.shape[1] - nw) // 2
    canvas[oy:oy + nh, ox:ox + nw] = pil_resize(src, nw, nh)
    return canvas


# ------------------------------------------------------------------ tokenizer pipeline

def hf_encode(tok_json, text):
    added = {a["content"]: a["id"] for a in tok_json["added_tokens"]}
    vocab, merges = tok_json["model"]["vocab"], tok_json["model"]["merges"]
    rank = {tuple(mg.split(" ")): i for i, mg in enumerate(merges)}
    splits = [p["pattern"]["Regex"].replace("\\p{N}", "\\d")
              for p in tok_json["pre_tokenizer"]["pretokenizers"] if p["type"] == "Split"]
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    b2u = {b: chr(c) for b, c in zip(bs, cs)}
    ids = [added["<｜begin▁of▁sentence｜>"]]
    pat = "(" + "|".join(re.escape(s) for s in sorted(added, key=len, reverse=True)) + ")"
    for chunk in re.split(pat, text):
        if not chunk:
            continue
        if chunk in added:
            ids.append(added[chunk])
            continue
        pieces = [chunk]
        for rx in splits:  # "Isolated": every match and every gap is its own piece
            nxt = []
            for p in pieces:
                last = 0
                for mt in re.finditer(rx, p):
                    if mt.start() > last:
                        nxt.append(p[last:mt.start()])
                    if mt.end() > mt.start():
                        nxt.append(mt.group())
                    last = mt.end()
                if last < len(p):
                    nxt.append(p[last:])
            pieces = nxt
        for p in pieces:
            word = [b2u[b] for b in p.encode("utf-8")]
            while True:
                cands = [(rank[(a, b)], i) for i, (a, b) in enumerate(zip(word, word[1:])) if (a, b) in rank]
                if not cands:
                    break
                _, i = min(cands)
                word[i:i + 2] = [word[i] + word[i + 1]]
            ids.extend(vocab[w] for w in word)
    return ids


# ------------------------------------------------------------------ the check

def read_f32(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype="<f4").astype(np.float64)).reshape(shape)


def check_dir(d, report):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(d, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    with open(os.path.join(d, "expected", "expected.json"), encoding="utf-8") as f:
        ex = json.load(f)
    root = build(cfg)
    root.load_state_dict(load_float64(os.path.join(d, "model.safetensors")), strict=True)
    root.eval()
    e = lambda name: os.path.join(d, "expected", name)
    name = os.path.basename(d)

    def close(what, got, file, shape, tol=2e-6):
        want = read_f32(e(file), shape)
        diff = float((got - want).abs().max() / max(want.abs().max(), 1e-30))
        report(name, what, diff <= tol, "rel max diff %.2e" % diff)

    def same(what, got, want):
        report(name, what, list(got) == list(want), "" if list(got) == list(want) else "%s != %s" % (got, want))

    with torch.no_grad():
        same("text ids (tokenizer.json pipeline)", hf_encode(tok, ex["text"]["text"]), ex["text"]["ids"])
        u_text = ex["understanding"]["text"].split(" (no system prompt")[0]
        n_img = cfg["vision_config"]["num_image_tokens"]
        u_text = u_text.replace("<image_placeholder>", "<begin_of_image>" + "<image_placeholder>" * n_img
                                + "<end_of_image>")
        same("understanding ids", hf_encode(tok, u_text), ex["understanding"]["ids"])
        gtext = "<|User|>: " + ex["generation"]["prompt_text"] + "\n\n<|Assistant|>:<begin_of_image>"
        same("generation prompt ids", hf_encode(tok, gtext), ex["generation"]["prompt_ids"])

        emb = root.model.language_model.embed_tokens
        ids = ex["text"]["ids"]
        lm = KVLM(root)
        h = lm.step(emb(torch.tensor([ids])))
        close("text logits", root.lm_head(h)[0], "text_logits.f32", ex["text"]["logits_shape"])
        out = []
        nxt = int(root.lm_head(h)[0, -1].argmax())
        for _ in range(len(ex["text"]["greedy"])):
            out.append(nxt)
            nxt = int(root.lm_head(lm.step(emb(torch.tensor([[nxt]]))))[0, -1].argmax())
        same("text greedy (KV cache)", out, ex["text"]["greedy"])

        png = np.asarray(Image.open(e("preprocessed.png")).convert("RGB"), dtype=np.float64)
        px = torch.from_numpy((png / 255.0 - 0.5) / 0.5).permute(2, 0, 1).contiguous()
        close("pixel_values from preprocessed.png", px, "pixel_values.f32", ex["preprocess"]["pixel_values_shape"])
        S = cfg["vision_config"]["image_size"]
        ours = preprocess_png(os.path.join(d, "image.png"), S)
        report(name, "preprocessed.png = ported Pillow bicubic + pad", np.array_equal(ours, png)
               and png.shape[0] == S, "")
        for case in ex.get("resize_cases", []):
            want = np.asarray(Image.open(e(case["output"])).convert("RGB"))
            got = preprocess_png(e(case["input"]), S)
            report(name, "resize case " + case["input"], got.shape == want.shape and np.array_equal(got, want),
                   "" if got.shape != want.shape else "max diff %d" % np.abs(got.astype(int) - want).max())
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from janus_ref import Janus
        _, again, _ = Janus(d).preprocess(Image.open(e("preprocessed.png")))
        close("preprocess(preprocessed.png) is the identity", again, "pixel_values.f32",
              ex["preprocess"]["pixel_values_shape"])
        hidden, feats = vision_fwd(root, px)
        close("vision hidden", hidden, "vision_hidden.f32", ex["understanding"]["vision_hidden_shape"])
        close("image features", feats, "image_features.f32", ex["understanding"]["image_features_shape"])
        uids = torch.tensor([ex["understanding"]["ids"]])
        x = emb(uids)
        x[uids == cfg["image_token_id"]] = feats
        close("image logits", root.lm_head(KVLM(root).step(x))[0], "image_logits.f32",
              ex["understanding"]["logits_shape"])

        with open(os.path.join(d, "generation_config.json")) as f:
            gcfg = json.load(f)
        pids = ex["generation"]["prompt_ids"]
        unc = [p if (p == gcfg["bos_token_id"] or p == gcfg["generation_kwargs"]["boi_token_id"])
               else gcfg["pad_token_id"] for p in pids]       # HF's masking rule
        same("uncond ids (HF rule)", unc, ex["generation"]["uncond_ids"])
        lm = KVLM(root)
        h = lm.step(emb(torch.tensor([pids, unc])))[:, -1]
        gh = root.model.generation_head
        codes, s = [], gcfg["guidance_scale"]
        for step in range(len(ex["generation"]["codes"])):
            lg = gh.vision_head(F.gelu(gh.proj_out(h)))
            if step == 0:
                close("generation step-0 logits", lg, "gen_logits0.f32", ex["generation"]["first_step_logits_shape"])
            c = int((s * lg[0] + (1 - s) * lg[1]).argmax())
            codes.append(c)
            ge = aligner_fwd(root.model.generation_aligner, root.model.generation_embeddings.weight[c])
            h = lm.step(ge.expand(2, 1, -1).contiguous())[:, -1]
        same("guided greedy codes (KV cache, batched CFG)", codes, ex["generation"]["codes"])

        close("vq decode pixels", vq_decode(root, ex["vq_decode"]["codes"]), "vq_decode.f32",
              ex["vq_decode"]["pixels_shape"])
        close("vq decode pixels, spread codes", vq_decode(root, ex["vq_decode"]["second"]["codes"]),
              "vq_decode_spread.f32", ex["vq_decode"]["pixels_shape"])
        z, ecodes = vq_encode(root, px)
        close("vq latent", z, "vq_latent.f32", ex["vq_encode"]["latent_shape"])
        same("vq encode codes", ecodes, ex["vq_encode"]["codes"])


# transformers' convert_janus_weights_to_hf.py MAPPINGS (applied in order; None drops the key)
HF_MAPPINGS = [
    (r"(?<!gen_)vision_model\.vision_tower\.blocks\.(\d+)\.attn", r"model.vision_model.encoder.layers.\1.self_attn"),
    (r"(?<!gen_)vision_model.vision_tower.blocks", "model.vision_model.encoder.layers"),
    (r"(?<!gen_)vision_model.vision_tower.pos_embed", "model.vision_model.embeddings.position_embedding.weight"),
    (r"(?<!gen_)vision_model.vision_tower.patch_embed.proj", "model.vision_model.embeddings.patch_embedding"),
    (r"(?<!gen_)vision_model.vision_tower.norm", "model.vision_model.post_layernorm"),
    (r"(?P<pre>\b(vision_model|model\.vision_model)\b.*\.)proj(?=\.|\s|$)", r"\g<pre>projection_layer"),
    (r"(?P<pre>\b(vision_model|model\.vision_model)\b.*\.)norm(?=\.|\s|$)", r"\g<pre>layer_norm"),
    (r"(?P<pre>\b(vision_model|model\.vision_model)\b.*\.)norm1(?=\.|\s|$)", r"\g<pre>layer_norm1"),
    (r"(?P<pre>\b(vision_model|model\.vision_model)\b.*\.)norm2(?=\.|\s|$)", r"\g<pre>layer_norm2"),
    (r"\bvision_model\.vision_tower\.attn_pool\.[^\s$]*", None),
    (r"gen_vision_model", "model.vqmodel"),
    (r"(?P<pre>\b(gen_vision_model|model\.vqmodel)\b.*\.)decoder\.conv_blocks(?=\.|\s|$)", r"\g<pre>decoder.up"),
    (r"(?P<pre>\b(gen_vision_model|model\.vqmodel)\b.*\.)encoder\.conv_blocks(?=\.|\s|$)", r"\g<pre>encoder.down"),
    (r"(?P<pre>\b(gen_vision_model|model\.vqmodel)\b.*\.)res(?=\.|\s|$)", r"\g<pre>block"),
    (r"(?P<pre>\b(gen_vision_model|model\.vqmodel)\b.*\.)mid\.0(?=\.|\s|$)", r"\g<pre>mid.block_1"),
    (r"(?P<pre>\b(gen_vision_model|model\.vqmodel)\b.*\.)mid\.1(?=\.|\s|$)", r"\g<pre>mid.attn_1"),
    (r"(?P<pre>\b(gen_vision_model|model\.vqmodel)\b.*\.)mid\.2(?=\.|\s|$)", r"\g<pre>mid.block_2"),
    (r"(gen_aligner)\.layers\.0", r"model.generation_aligner.fc1"),
    (r"(gen_aligner)\.layers\.2", r"model.generation_aligner.hidden_layers.0"),
    (r"(?<!gen_)(aligner)\.layers\.0", r"model.aligner.fc1"),
    (r"(?<!gen_)(aligner)\.layers\.2", r"model.aligner.hidden_layers.0"),
    ("gen_head.output_mlp_projector", "model.generation_head.proj_out"),
    (r"(\s|^)gen_embed", r"\1model.generation_embeddings"),
    (r"(\s|^)gen_head", r"\1model.generation_head"),
    (r"\b(gen_vision_model|model\.vqmodel)\.quantize\.codebook_used", None),
    (r"(\s|^)language_model\.model", r"\1model.language_model"),
    (r"\b(model\.language_model|(?<!model\.)language_model)\.lm_head\.weight", "lm_head.weight"),
]


def check_original_names(d, report):
    """original-names/model.safetensors through HF's conversion must equal model.safetensors."""
    o = os.path.join(d, "original-names", "model.safetensors")
    if not os.path.exists(o):
        return
    from safetensors_io import read_safetensors
    orig, hf = read_safetensors(o), read_safetensors(os.path.join(d, "model.safetensors"))
    conv = {}
    for key, (t, _) in orig.items():
        new = key
        for pat, rep in HF_MAPPINGS:
            new = re.sub(pat, "" if rep is None else rep, new)
        if not new:
            continue
        if "qkv" in new:
            for part, piece in zip(("q_proj", "k_proj", "v_proj"), torch.split(t, t.shape[0] // 3)):
                conv[new.replace("qkv", part)] = piece
        else:
            conv[new] = t
    pk = "model.vision_model.embeddings.position_embedding.weight"
    conv[pk] = conv[pk].squeeze(0)
    same_keys = sorted(conv) == sorted(hf)
    same_vals = same_keys and all(torch.equal(conv[k].view(-1).view(torch.int16) if conv[k].dtype == torch.bfloat16
                                              else conv[k], hf[k][0].view(-1).view(torch.int16)
                                              if hf[k][0].dtype == torch.bfloat16 else hf[k][0]) for k in hf)
    report(os.path.basename(d), "original names -> HF convert rules == model.safetensors",
           same_keys and same_vals, "" if same_keys else "key sets differ: %s" % sorted(set(conv) ^ set(hf))[:4])


def main():
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.join(REPO, "testdata", "ref"))
    args = ap.parse_args()
    failures = []

    def report(name, what, ok, detail):
        print("%-8s %-4s %-50s %s" % (name, "ok" if ok else "FAIL", what, detail))
        if not ok:
            failures.append((name, what))

    for name in ("janus-a", "janus-b"):
        check_dir(os.path.join(args.root, name), report)
        check_original_names(os.path.join(args.root, name), report)
    print("ALL OK" if not failures else "%d FAILED" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
