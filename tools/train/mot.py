"""Chameleon transformer with Mixture-of-Transformers, as the Go runtime runs it.

Parameter names match the HF layout of the checkpoint spec once the state dict
is exported (see export.py): model.embed_tokens, model.layers.{i}.self_attn.
{q,k,v,o}_proj(+_moe_gen), q_norm/k_norm (+_moe_gen, weight and bias [H, hd]),
mlp(+_moe_gen).{gate,up,down}_proj, input_layernorm(+_moe_gen),
post_attention_layernorm(+_moe_gen), model.norm(+_moe_gen), lm_head (untied).

Forward per the spec: RMSNorm pre-norm, qk-norm = LayerNorm over head_dim without
affine (eps 1e-5) then per-head weight/bias, RoPE rotate-half, causal softmax
attention over all positions, SwiGLU MLP. Positions holding image codebook
tokens use the _moe_gen copies of every per-layer weight and of the final norm.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class QKNorm(nn.Module):
    """Per-head affine of a LayerNorm over head_dim (the LayerNorm itself is shared)."""

    def __init__(self, heads, hd):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(heads, hd))
        self.bias = nn.Parameter(torch.zeros(heads, hd))


class Attention(nn.Module):
    def __init__(self, d, heads, hd):
        super().__init__()
        for suffix in ("", "_moe_gen"):
            setattr(self, "q_proj" + suffix, nn.Linear(d, heads * hd, bias=False))
            setattr(self, "k_proj" + suffix, nn.Linear(d, heads * hd, bias=False))
            setattr(self, "v_proj" + suffix, nn.Linear(d, heads * hd, bias=False))
            setattr(self, "o_proj" + suffix, nn.Linear(heads * hd, d, bias=False))
            setattr(self, "q_norm" + suffix, QKNorm(heads, hd))
            setattr(self, "k_norm" + suffix, QKNorm(heads, hd))


class MLP(nn.Module):
    def __init__(self, d, f):
        super().__init__()
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, h, hd, f, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["head_dim"], \
            cfg["intermediate_size"], cfg["rms_norm_eps"]
        self.self_attn = Attention(d, h, hd)
        self.mlp = MLP(d, f)
        self.mlp_moe_gen = MLP(d, f)
        self.input_layernorm = RMSNorm(d, eps)
        self.input_layernorm_moe_gen = RMSNorm(d, eps)
        self.post_attention_layernorm = RMSNorm(d, eps)
        self.post_attention_layernorm_moe_gen = RMSNorm(d, eps)


class Body(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg["num_hidden_layers"]))
        self.norm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.norm_moe_gen = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), -1)


class Streams:
    """The flattened positions of a batch split once into a text stream and an
    image stream (each in its original order). Every per-position op of a layer
    runs on each stream with its own expert's weights, so the residual stream
    stays split for the whole forward; only attention, which mixes positions,
    needs them in sequence order. That is one gather to merge and one to split
    per layer, instead of a gather and a scatter around every routed op."""

    def __init__(self, is_img):
        flat = is_img.reshape(-1)
        self.img = flat.nonzero().squeeze(1)
        self.txt = (~flat).nonzero().squeeze(1)
        order = torch.cat((self.txt, self.img))
        self.merge_idx = torch.empty_like(order)
        self.merge_idx[order] = torch.arange(order.numel())

    def split(self, x):
        """[B*T, ...] in sequence order -> (text rows, image rows)."""
        return x.index_select(0, self.txt), x.index_select(0, self.img)

    def merge(self, xt, xi):
        """(text rows, image rows) -> [B*T, ...] in sequence order."""
        return torch.cat((xt, xi)).index_select(0, self.merge_idx)


def code_factors(positional=False):
    """[num_codes, 3] attribute ids of every VQ code of the world's patch
    table (vq.patch_table): its foreground mask (0 = none), its object colour
    (0 = none) and its background (0 = none: a patch the object fills); with
    a positional table a fourth column, the code's token place.
    The codes of the world are a product of these attributes, but a free
    embedding row per code has to learn that from data: ten times more steps
    than the text needed. Adding one learned vector per attribute to each
    code's input embedding and output (lm_head) row lets a picture token be
    read and written attribute by attribute, the way captions already are.
    export.py folds the sums back into plain rows, so the runtime's
    checkpoint is an ordinary Chameleon one."""
    import numpy as np
    import vq as VQ
    import world as W
    table = VQ.patch_table(positional)
    bg_of = {W.BACKGROUNDS[b]: i + 1 for i, b in enumerate(W.BG_NAMES)}
    col_of = {W.COLORS[c]: i + 1 for i, c in enumerate(W.COLOR_NAMES)}
    masks = {}
    out = [None] * len(table)
    for key, code in table.items():
        place, raw = key if positional else (None, key)
        p = np.frombuffer(raw, np.uint8).reshape(VQ.PATCH, VQ.PATCH, 3)
        px = [tuple(int(v) for v in q) for q in p.reshape(-1, 3)]
        fg = tuple(q in col_of for q in px)
        mask = 0 if not any(fg) else masks.setdefault(fg, len(masks) + 1)
        col = next((col_of[q] for q in px if q in col_of), 0)
        bg = next((bg_of[q] for q in px if q in bg_of), 0)
        out[code] = (mask, col, bg) if not positional else (mask, col, bg, place)
    return torch.tensor(out, dtype=torch.long)


class CodeFactors(nn.Module):
    """Sum of per-attribute vectors for each code (zero at the start, so a
    checkpoint trained without them continues unchanged)."""

    def __init__(self, factors, d):
        super().__init__()
        self.register_buffer("ids", factors, persistent=False)
        self.tables = nn.ModuleList(nn.Embedding(int(factors[:, k].max()) + 1, d) for k in range(factors.shape[1]))
        for t in self.tables:
            nn.init.zeros_(t.weight)

    def forward(self):
        return sum(t(self.ids[:, k]) for k, t in enumerate(self.tables))


class ChameleonMoT(nn.Module):
    def __init__(self, cfg, image_id_range, factors=None):
        super().__init__()
        self.cfg = cfg
        self.model = Body(cfg)
        self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        self.img_lo, self.img_hi = image_id_range  # image codebook ids are [lo, hi)
        hd = cfg["head_dim"]
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
        self.register_buffer("inv_freq", inv, persistent=False)
        self.apply(self._init)
        self.fac_in = self.fac_out = None
        if factors is not None:
            self.fac_in = CodeFactors(factors, cfg["hidden_size"])
            self.fac_out = CodeFactors(factors, cfg["hidden_size"])
        for layer in self.model.layers:  # scaled init of residual outputs
            for lin in (layer.self_attn.o_proj, layer.self_attn.o_proj_moe_gen,
                        layer.mlp.down_proj, layer.mlp_moe_gen.down_proj):
                nn.init.normal_(lin.weight, std=0.02 / math.sqrt(2 * cfg["num_hidden_layers"]))

    def effective(self, w, fac):
        """w with the code factors added to the image-code rows."""
        if fac is None:
            return w
        return torch.cat((w[:self.img_lo], w[self.img_lo:self.img_hi] + fac(), w[self.img_hi:]))

    def folded_state_dict(self):
        """The state dict the runtime loads: factors folded into the rows."""
        sd = {k: v for k, v in self.state_dict().items() if not k.startswith(("fac_in.", "fac_out."))}
        with torch.no_grad():
            sd["model.embed_tokens.weight"] = self.effective(self.model.embed_tokens.weight, self.fac_in).clone()
            sd["lm_head.weight"] = self.effective(self.lm_head.weight, self.fac_out).clone()
        return sd

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, ids, keep=None):
        """ids [B, T] -> logits [B, T, V]; with a bool mask keep [B, T], only
        the logits of the kept positions, [n_kept, V] (saves the lm_head on
        positions without loss)."""
        cfg = self.cfg
        B, T = ids.shape
        H, hd = cfg["num_attention_heads"], cfg["head_dim"]
        is_img = (ids >= self.img_lo) & (ids < self.img_hi)
        st = Streams(is_img)
        pos = torch.arange(T, dtype=torch.float32)
        ang = pos[:, None] * self.inv_freq[None]
        ang = torch.cat((ang, ang), -1)
        cos, sin = ang.cos()[None, None], ang.sin()[None, None]      # [1, 1, T, hd]
        # additive causal mask, added inside the score product (baddbmm)
        causal = torch.full((T, T), float("-inf")).triu(1)
        emb = self.effective(self.model.embed_tokens.weight, self.fac_in)
        flat = ids.reshape(-1)
        ht, hi = F.embedding(flat[st.txt], emb), F.embedding(flat[st.img], emb)
        for L in self.model.layers:
            a = L.self_attn
            qkv = st.merge(_qkv(a, "")(L.input_layernorm(ht)), _qkv(a, "_moe_gen")(L.input_layernorm_moe_gen(hi)))
            q, k, v = (t.reshape(B, T, H, hd).transpose(1, 2) for t in qkv.reshape(B * T, 3, H, hd).unbind(1))
            # the 1/sqrt(hd) of the scores is applied to q: T*hd products instead of T*T
            q = (q * cos + rotate_half(q) * sin) * (1.0 / math.sqrt(hd))
            k = k * cos + rotate_half(k) * sin
            s = torch.baddbmm(causal, q.reshape(B * H, T, hd), k.reshape(B * H, T, hd).transpose(1, 2))
            o = (torch.softmax(s.float(), -1).to(v.dtype) @ v.reshape(B * H, T, hd))
            ot, oi = st.split(o.reshape(B, H, T, hd).transpose(1, 2).reshape(B * T, H * hd))
            ht = ht + a.o_proj(ot)
            hi = hi + a.o_proj_moe_gen(oi)
            ht = ht + _mlp(L.mlp)(L.post_attention_layernorm(ht))
            hi = hi + _mlp(L.mlp_moe_gen)(L.post_attention_layernorm_moe_gen(hi))
        ht, hi = self.model.norm(ht), self.model.norm_moe_gen(hi)
        head = self.effective(self.lm_head.weight, self.fac_out)
        if keep is None:
            return F.linear(st.merge(ht, hi), head).reshape(B, T, -1)
        kf = keep.reshape(-1)
        kt, ki = kf[st.txt], kf[st.img]
        # the kept rows of both streams, put back in sequence order
        where = torch.cat((st.txt[kt], st.img[ki]))
        h = torch.cat((ht[kt], hi[ki])).index_select(0, where.argsort())
        return F.linear(h, head)


def _mlp(m):
    w = torch.cat((m.gate_proj.weight, m.up_proj.weight))
    return lambda t: m.down_proj(_swiglu(F.linear(t, w)))


def _qkv(a, suffix):
    """The q, k, v projections of one expert with its qk-norm: a LayerNorm over
    head_dim without affine, then the expert's per-head weight and bias."""
    w = torch.cat([getattr(a, n + suffix).weight for n in ("q_proj", "k_proj", "v_proj")])
    qn, kn = getattr(a, "q_norm" + suffix), getattr(a, "k_norm" + suffix)

    def f(t):
        q, k, v = F.linear(t, w).unflatten(-1, (3, qn.weight.shape[0], qn.weight.shape[1])).unbind(-3)
        q = F.layer_norm(q, q.shape[-1:], eps=1e-5) * qn.weight + qn.bias
        k = F.layer_norm(k, k.shape[-1:], eps=1e-5) * kn.weight + kn.bias
        return torch.stack((q, k, v), -3).flatten(-3)
    return f


def _swiglu(gu):
    g, u = gu.chunk(2, -1)
    return F.silu(g) * u


def config(vocab_size, d=256, layers=4, heads=4, ff=768, max_pos=1024):
    return {"model_type": "chameleon", "architectures": ["ChameleonForConditionalGeneration"],
            "vocab_size": vocab_size, "hidden_size": d, "intermediate_size": ff,
            "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": heads,
            "head_dim": d // heads, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
            "max_position_embeddings": max_pos, "swin_norm": False, "tie_word_embeddings": False,
            "attention_bias": False, "mlp_bias": False, "mixture_of_transformers": True,
            "hidden_act": "silu", "qk_layernorm": True, "model_parallel_size": 1}


def load_checkpoint(path):
    """A train.py checkpoint for probing -> (model in eval mode, tokenizer,
    positional): the model with the factors folded in, the BPE with the
    checkpoint's merges, and whether its picture codes name their place
    (such a checkpoint has a larger vocabulary)."""
    import bpe as BPE
    import vq as VQ
    ck = torch.load(path)
    merges = [tuple(m) for m in ck["merges"]]
    positional = len(BPE.BPE(merges, len(VQ.patch_table())).vocab) != ck["cfg"]["vocab_size"]
    num_codes = len(VQ.patch_table(positional))
    tok = BPE.BPE(merges, num_codes)
    lo = tok.image_id(0)
    m = ChameleonMoT(ck["cfg"], (lo, lo + num_codes))
    m.load_state_dict(ck.get("export_state", ck["state"]))
    m.eval()
    return m, tok, positional


def cpu_has_bf16():
    """Whether the CPU has bf16 dot products (avx512_bf16 or AMX). Without
    them torch 1.13 runs bf16 autocast matmuls in a slow single-threaded
    fallback, many times slower than f32 (seen on an AVX2-only EPYC)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read().split()
    except OSError:
        return True  # cannot tell; let torch decide
    return "avx512_bf16" in flags or "amx_bf16" in flags
