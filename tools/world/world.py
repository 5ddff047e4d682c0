"""The synthetic world of chatumm-tiny: scenes, a renderer and a scene parser.

A scene is a background colour plus 1-3 objects. Each object has a shape, a
colour, a size and one of the 9 cells of a 3x3 grid. Images are 24x24 RGB: each
grid cell is an 8x8 block, which is exactly 2x2 tokens of the VQ-GAN (4x4
pixels per token), so an object only ever changes its own four tokens. This
keeps the image-token language simple enough for a few-million-parameter model.

The parser reads any 24x24 image (rendered, or decoded from model tokens) back
into a scene by colour segmentation; it is the judge of every image the model
draws. Everything is deterministic given a random.Random seed.
"""
import random

import numpy as np

SIZE = 24            # image side in pixels
CELL = 8             # grid cell side in pixels
GRID = 3             # cells per side

SHAPES = ["square", "circle", "triangle", "diamond"]
COLORS = {           # object colours
    "red": (230, 30, 30), "green": (30, 190, 40), "blue": (30, 90, 255),
    "yellow": (250, 225, 30), "purple": (150, 50, 210), "orange": (255, 140, 0),
    "white": (250, 250, 250), "pink": (255, 130, 200),
}
BACKGROUNDS = {      # background colours (disjoint from object colours)
    "black": (0, 0, 0), "gray": (120, 120, 120), "navy": (20, 25, 90),
    "brown": (110, 65, 20),
}
SIZES = ["big", "small"]
POSITIONS = ["top left", "top middle", "top right",
             "middle left", "center", "middle right",
             "bottom left", "bottom middle", "bottom right"]
COLOR_NAMES = list(COLORS)
BG_NAMES = list(BACKGROUNDS)

# Shape/colour pairs that never appear in training images (generalisation test).
HELD_OUT = {("circle", "green"), ("square", "purple"), ("triangle", "white"),
            ("diamond", "orange")}


def include_held_out():
    """Let every generator in this process use the held-out pairs too, so a
    tail (train.py --all-pairs) learns to draw them: a person asking for an
    orange diamond wants one (docs/experiments.md, "Every shape/colour pair").
    Empties HELD_OUT in place, so the modules that imported it by name see
    the change."""
    HELD_OUT.clear()


def _mask(shape, n):
    """Boolean n x n mask of a shape drawn in an n-pixel box."""
    m = np.zeros((n, n), bool)
    c = (n - 1) / 2.0
    for y in range(n):
        for x in range(n):
            dx, dy = x - c, y - c
            if shape == "square":
                m[y, x] = True
            elif shape == "circle":
                m[y, x] = dx * dx + dy * dy <= (n / 2.0) ** 2 * 0.95
            elif shape == "diamond":
                m[y, x] = abs(dx) + abs(dy) <= n / 2.0
            elif shape == "triangle":  # apex up, row widths 2,2,4,4,...
                half = (y // 2 + 1)
                m[y, x] = abs(dx) < half
    return m


def object_mask(shape, size):
    """8x8 mask of an object inside its cell (big fills the cell, small is 6x6)."""
    m = np.zeros((CELL, CELL), bool)
    if size == "big":
        m[:, :] = _mask(shape, CELL)
    else:
        m[1:7, 1:7] = _mask(shape, 6)
    return m


TEMPLATES = {(s, z): object_mask(s, z) for s in SHAPES for z in SIZES}


class Obj:
    __slots__ = ("shape", "color", "size", "pos")

    def __init__(self, shape, color, size, pos):
        self.shape, self.color, self.size, self.pos = shape, color, size, pos

    def key(self):
        return (self.pos, self.shape, self.color, self.size)

    def copy(self):
        return Obj(self.shape, self.color, self.size, self.pos)

    def phrase(self):
        """'a big red circle at the top left'"""
        at = "in the center" if self.pos == 4 else "at the " + POSITIONS[self.pos]
        return "a %s %s %s %s" % (self.size, self.color, self.shape, at)

    def to_json(self):
        return {"shape": self.shape, "color": self.color, "size": self.size,
                "position": POSITIONS[self.pos]}


class Scene:
    """A background plus objects, kept sorted by grid cell (raster order)."""

    def __init__(self, bg, objs):
        self.bg = bg
        self.objs = sorted(objs, key=lambda o: o.pos)

    def copy(self):
        return Scene(self.bg, [o.copy() for o in self.objs])

    def key(self):
        return (self.bg,) + tuple(o.key() for o in self.objs)

    def __eq__(self, other):
        return isinstance(other, Scene) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def free_cells(self):
        used = {o.pos for o in self.objs}
        return [p for p in range(GRID * GRID) if p not in used]

    def describe(self):
        """Canonical caption, e.g. 'a big red circle at the top left and a
        small blue square in the center on a gray background.'"""
        parts = [o.phrase() for o in self.objs]
        if not parts:  # never drawn by the world, but a parsed picture may be empty
            return "an empty %s background." % self.bg
        if len(parts) == 1:
            body = parts[0]
        elif len(parts) == 2:
            body = parts[0] + " and " + parts[1]
        else:
            body = ", ".join(parts[:-1]) + " and " + parts[-1]
        return body + " on a %s background." % self.bg

    def to_json(self):
        return {"background": self.bg, "objects": [o.to_json() for o in self.objs]}

    @staticmethod
    def from_json(d):
        return Scene(d["background"], [Obj(o["shape"], o["color"], o["size"],
                                           POSITIONS.index(o["position"])) for o in d["objects"]])


def allowed(shape, color, held_out_ok):
    return held_out_ok or (shape, color) not in HELD_OUT


def random_object(rng, pos, held_out_ok=False):
    while True:
        s, c = rng.choice(SHAPES), rng.choice(COLOR_NAMES)
        if allowed(s, c, held_out_ok):
            return Obj(s, c, rng.choice(SIZES), pos)


def random_scene(rng, n=None, held_out_ok=False):
    n = n or rng.randint(1, 3)
    cells = rng.sample(range(GRID * GRID), n)
    return Scene(rng.choice(BG_NAMES), [random_object(rng, p, held_out_ok) for p in cells])


def render(scene):
    """Scene -> uint8 array [SIZE, SIZE, 3]."""
    img = np.zeros((SIZE, SIZE, 3), np.uint8)
    img[:, :] = BACKGROUNDS[scene.bg]
    for o in scene.objs:
        r, c = divmod(o.pos, GRID)
        block = img[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL]
        block[TEMPLATES[(o.shape, o.size)]] = COLORS[o.color]
    return img


_ALL = list(COLORS.items()) + list(BACKGROUNDS.items())
_PAL = np.array([v for _, v in _ALL], np.float32)
_PAL_NAMES = [k for k, _ in _ALL]


def parse(img):
    """uint8/float image [SIZE, SIZE, 3] (0..255) -> Scene, by colour segmentation.

    Each pixel gets its nearest palette colour; the background is the most common
    background colour; in every cell the non-background pixels (if more than a
    few) form one object whose colour is their majority and whose shape and size
    are the template nearest in Hamming distance."""
    a = np.asarray(img, np.float32)
    if a.shape != (SIZE, SIZE, 3):
        raise ValueError("parse: image must be %dx%dx3, got %s" % (SIZE, SIZE, a.shape))
    d = ((a[:, :, None, :] - _PAL[None, None]) ** 2).sum(-1)
    lab = d.argmin(-1)
    nobj = len(COLORS)
    bg_counts = np.bincount(lab.ravel(), minlength=len(_PAL))[nobj:]
    bg = BG_NAMES[int(bg_counts.argmax())]
    objs = []
    for pos in range(GRID * GRID):
        r, c = divmod(pos, GRID)
        cell = lab[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL]
        fg = cell < nobj
        if fg.sum() < 6:
            continue
        color = COLOR_NAMES[int(np.bincount(cell[fg], minlength=nobj).argmax())]
        best = min(TEMPLATES, key=lambda k: int((TEMPLATES[k] != fg).sum()))
        objs.append(Obj(best[0], color, best[1], pos))
    return Scene(bg, objs)


def save_png(img, path):
    from PIL import Image
    Image.fromarray(np.asarray(img, np.uint8)).save(path)


def load_png(path):
    from PIL import Image
    im = Image.open(path).convert("RGB")
    if im.size != (SIZE, SIZE):
        im = im.resize((SIZE, SIZE), Image.NEAREST)
    return np.asarray(im)


if __name__ == "__main__":
    rng = random.Random(0)
    bad = 0
    for _ in range(2000):
        s = random_scene(rng, held_out_ok=True)
        if parse(render(s)) != s:
            bad += 1
    print("parse(render(scene)) mismatches: %d / 2000" % bad)
    for k, m in TEMPLATES.items():
        print(k)
        print("\n".join("".join("#" if v else "." for v in row) for row in m))
