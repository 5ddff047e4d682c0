import sys, random, collections, torch
sys.path.insert(0, "/work/main/tools/train"); sys.path.insert(0, "/work/main/tools/world")
import dialogues as D, world as W, bpe as BPE, data as DATA, mot as MOT, vq as VQ
torch.set_num_threads(1)
ck = torch.load(sys.argv[1]); pos = sys.argv[2] == "1"
merges = [tuple(m) for m in ck["merges"]]
n = len(VQ.patch_table(pos)); tok = BPE.BPE(merges, n); codes = DATA.TableCodes(pos)
lo = tok.image_id(0)
m = MOT.ChameleonMoT(ck["cfg"], (lo, lo + n)); m.load_state_dict(ck["export_state"]); m.eval()
rng = random.Random(5); tab = collections.Counter()
for kind in ["exists", "position", "color", "shape"]:
    for i in range(90):
        s = W.random_scene(rng)
        while len(s.objs) != 1 + i % 3: s = W.random_scene(rng)
        q, a, k = D.random_question(s, rng, kind)
        d = [D.user(("image", s), ("text", q)), D.model(("text", a))]
        ids, mask, _ = DATA.tokenize(d, tok, codes)
        with torch.no_grad(): lg = m(torch.tensor([ids]))[0]
        ok = all(lg[j - 1].argmax().item() == ids[j] for j in range(len(ids)) if mask[j])
        key = (kind, len(s.objs), a if a in ("yes.", "no.", "nothing.") else "")
        tab[key + (ok,)] += 1
for key in sorted({k[:3] for k in tab}):
    print(key, tab[key + (True,)], "/", tab[key + (True,)] + tab[key + (False,)])
