"""The world's language as people speak it (issue 27): dialogues whose user
turns say what the templates of dialogues.py say in everyday words.

Same scenes, same model replies, same three ChatUMM stages (a chain on one
scene, history queries after distractors, interleaved replies come from
dialogues.py and are mixed in by train.py --nl-share); what is new is the
user's side:
  - any attribute may be left out: the picture then has one the model picks
    (the training target draws it at random, so no choice is taught as the
    right one); a shape alone is a request;
  - number words and plurals ("two green squares", "3 circles"), several
    objects in one request ("a red circle and a small square");
  - pronouns and ellipsis after a picture: "it" is the object the last turn
    drew or changed ("make it bigger", "now blue", "move it left"), "the
    other one" the second object of a two-object picture;
  - polite and imperative frames, synonyms of the verbs (paint, sketch,
    create, render; remove, delete, get rid of), of the sizes (large, tiny)
    and of the places (upper left, on the left, at the bottom);
  - British spellings (colour, centre, grey), missing punctuation and a few
    typos (noisy); upper case is folded by the tokenizer's Lowercase
    normalizer (bpe.BPE lowercase), not here;
  - small talk that says what the model can do, honesty when asked about a
    picture before there is one, and refusals only for what is outside the
    world.
Directions: "move it left" keeps the object's row and puts it in the left
column ("up" keeps its column, top row), the reading of "to the left".
Wordings here are this generator's own; tools/eval/nl_devset.py is written
apart from them and never trained on.
"""
import random

import dialogues as D
from world import BG_NAMES, COLOR_NAMES, GRID, POSITIONS, SHAPES, Obj, Scene, allowed, random_scene

SIZE_WORDS = {"big": ["big", "big", "large", "huge", "giant"],
              "small": ["small", "small", "little", "tiny"]}
NUMBER_WORDS = {1: ["one", "1", "a single"], 2: ["two", "2", "a pair of"], 3: ["three", "3"]}

# Places in everyday words; each names one cell of the 3x3 grid.
PLACES = {
    0: ["at the top left", "in the top left", "in the top left corner", "in the upper left corner",
        "at the upper left", "top left", "on the top left"],
    1: ["at the top", "at the top middle", "at the top center", "in the top middle", "up top",
        "at the top in the middle"],
    2: ["at the top right", "in the top right", "in the top right corner", "in the upper right corner",
        "at the upper right", "top right", "on the top right"],
    3: ["on the left", "at the left", "at the middle left", "on the left side", "at the left edge",
        "in the middle of the left side"],
    4: ["in the center", "in the middle", "at the center", "centered", "in the center of the picture",
        "right in the middle"],
    5: ["on the right", "at the right", "at the middle right", "on the right side", "at the right edge",
        "in the middle of the right side"],
    6: ["at the bottom left", "in the bottom left", "in the bottom left corner", "in the lower left corner",
        "at the lower left", "bottom left", "on the bottom left"],
    7: ["at the bottom", "at the bottom middle", "at the bottom center", "in the bottom middle",
        "down at the bottom", "at the bottom in the middle"],
    8: ["at the bottom right", "in the bottom right", "in the bottom right corner",
        "in the lower right corner", "at the lower right", "bottom right", "on the bottom right"],
}
TO_PLACES = {0: ["to the top left", "to the top left corner", "into the upper left corner"],
             1: ["to the top", "to the top middle", "up to the top center"],
             2: ["to the top right", "to the top right corner", "into the upper right corner"],
             3: ["to the middle left", "to the left edge", "to the left side, middle row"],
             4: ["to the center", "to the middle", "into the center", "into the middle"],
             5: ["to the middle right", "to the right edge", "to the right side, middle row"],
             6: ["to the bottom left", "to the bottom left corner", "into the lower left corner"],
             7: ["to the bottom", "to the bottom middle", "down to the bottom center"],
             8: ["to the bottom right", "to the bottom right corner", "into the lower right corner"]}
BG_FRAMES = ["on a %s background", "with a %s background", "against a %s background", "against %s",
             "on %s", "on a %s backdrop", "with the background %s", "over a %s background",
             "on a background of %s", "in front of a %s background", "with %s behind it"]
DRAW_VERBS = ["draw", "draw", "paint", "sketch", "create", "render", "make", "generate", "produce",
              "draw me", "paint me", "make me", "show me", "give me", "sketch me"]
DRAW_FRAMES = ["{v} {d}", "{v} {d}", "{v} {d} please", "please {v} {d}", "could you {v} {d}?",
               "can you {v} {d}?", "would you {v} {d}?", "could you please {v} {d}?",
               "can you please {v} {d}", "i'd like {d}", "i would like {d}", "i want {d}", "i need {d}",
               "can i have {d}?", "can i get {d}?", "{d}", "{d} please", "{d}, please", "how about {d}?",
               "let's see {d}", "{v} a picture of {d}", "{v} an image of {d}", "{v} a picture with {d}",
               "a picture of {d}", "an image with {d}", "hey, {v} {d}", "ok, {v} {d}", "now {v} {d}",
               "i'd like you to {v} {d}", "go ahead and {v} {d}", "{v} {d} for me",
               "could you {v} {d} for me?", "i'd love {d}", "please, {d}", "just {d}"]

GREETINGS = ["hello", "hello!", "hi", "hi!", "hi there", "hey", "hey there", "good morning",
             "good evening", "hello there!", "hiya", "greetings", "yo", "howdy"]
HELP_ASKS = ["help", "help!", "help me", "what can you do?", "what can you draw?", "what do you do?",
             "how does this work?", "what should i say?", "what are you able to do?", "what can i ask you?",
             "what things can you draw?", "show me what you can do", "how do i use you?", "instructions",
             "what shapes do you know?", "what colors can you use?", "i need help", "what now?"]
WHO_ASKS = ["who are you?", "what are you?", "what is your name?", "what's your name?", "are you a bot?",
            "introduce yourself", "tell me about yourself", "who made you?"]
GREET_REPLY = "hello! i can draw squares, circles, triangles and diamonds. what should i draw?"
HELP_REPLY = ("i can draw squares, circles, triangles and diamonds in eight colors, "
              "then describe them, answer questions about them and edit them. try: draw a red circle.")
WHO_REPLY = "i am chatumm-tiny, a small model that can draw, describe and edit pictures of simple shapes."
THANKS = [("thanks", "you are welcome."), ("thank you", "you are welcome."), ("thanks a lot!", "you are welcome."),
          ("thx", "you are welcome."), ("cheers", "you are welcome."), ("many thanks", "you are welcome."),
          ("great", "thank you."), ("awesome!", "thank you."), ("perfect", "thank you."), ("nice one", "thank you."),
          ("good job", "thank you."), ("looks good", "thank you."), ("wow", "thank you."), ("lovely", "thank you."),
          ("ok", "okay. what should i draw next?"), ("okay", "okay. what should i draw next?"),
          ("bye", "goodbye!"), ("goodbye", "goodbye!"), ("see you", "goodbye!")]

NO_PICTURE = "there is no picture yet. ask me to draw one, or show me one."
NO_PICTURE_ASKS = ["describe the picture", "describe the image", "what is in the picture?", "what do you see?",
                   "what's in the image?", "describe it", "caption the picture", "tell me about the picture",
                   "what does the picture show?", "what does it look like?", "how many shapes are there?",
                   "what color is the background?", "what colour is it?", "where is the circle?",
                   "is there a square?", "make it bigger", "make the circle red", "move it left",
                   "change the background to navy", "remove the square", "describe this picture.",
                   "what is in this image?", "caption this image.", "undo that"]

OUTSIDE_FRAMES = ["draw {a} {t}", "could you paint {a} {t}?", "sketch {a} {t} for me", "i want {a} {t}",
                  "can you make {a} {t}?", "render {a} {t} please", "{a} {t} please", "i'd like {a} {t}",
                  "create {a} {t}", "show me a picture of {a} {t}", "draw me {a} {t}"]
OUTSIDE_THINGS = D.OUTSIDE_THINGS + ["pentagon", "oval", "spiral", "tree house", "mountain", "castle",
                                     "unicorn", "banana", "rocket", "snowman", "cow", "guitar", "crown"]
OUTSIDE_QUESTIONS = ["what's the capital of italy?", "write me a story", "what is 3 times 4?", "sing a song",
                     "who won the game yesterday?", "can you write code?", "what is the meaning of life?",
                     "how old are you?", "do you like music?", "what's the news today?", "tell me a fact",
                     "how do i cook pasta?", "recommend a movie", "what day is it?", "explain gravity"]


# ---------------------------------------------------------------- surface

def noisy(text, rng):
    """Spellings and slips people type: British spellings, a missing or
    different final mark, now and then one typo in a longer word."""
    if "gray" in text and rng.random() < 0.5:
        text = text.replace("gray", "grey")
    if "color" in text and rng.random() < 0.5:
        text = text.replace("color", "colour")
    if "center" in text and rng.random() < 0.5:
        text = text.replace("center", "centre")
    u = rng.random()
    if u < 0.4:
        text = text.rstrip(".?!")
    elif u < 0.5:
        text = text.rstrip(".?!") + rng.choice(["!", "?", "...", " :)", " please"])
    if rng.random() < 0.12:
        words = text.split(" ")
        long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if long:
            i = rng.choice(long)
            w, j = words[i], rng.randrange(1, len(words[i]) - 1)
            k = rng.random()
            if k < 0.4:
                w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            elif k < 0.7:
                w = w[:j] + w[j + 1:]
            else:
                w = w[:j] + w[j] + w[j:]
            words[i] = w
            text = " ".join(words)
    return text


def article(word):
    return "an" if word[0] in "aeiou" else "a"


# ---------------------------------------------------------------- requests

def obj_words(o, say, rng, count_word=None):
    """'a big red circle at the top left' with only the attributes in say."""
    adj = []
    if "size" in say:
        adj.append(rng.choice(SIZE_WORDS[o.size]))
    color_after = "color" in say and rng.random() < 0.06
    if "color" in say and not color_after:
        adj.append(o.color)
    noun = " ".join(adj + [o.shape])
    if count_word:
        head = count_word + " " + noun
    else:
        head = rng.choice([article(noun), article(noun), article(noun), "one"]) + " " + noun
    if color_after:
        head += rng.choice([" in %s", " colored %s", " that is %s"]) % o.color
    if "pos" in say:
        head += " " + rng.choice(PLACES[o.pos])
    return head


def join_and(parts, rng):
    if len(parts) == 1:
        return parts[0]
    sep = rng.choice([", ", ", ", " and "]) if len(parts) > 2 else " and "
    return sep.join(parts[:-1]) + (" and " if sep == ", " or len(parts) == 2 else sep) + parts[-1]


def pick_obj(rng, shape=None, color=None, size=None, pos=None):
    while True:
        s = shape or rng.choice(SHAPES)
        c = color or rng.choice(COLOR_NAMES)
        if allowed(s, c, False):
            return Obj(s, c, size or rng.choice(["big", "small"]), pos)


# Where objects go when a request names no place, with default_place
# (train.py --nl-default-place, run s32): one object in the center, two or
# three in the middle row in the order named, an added one in the first free
# cell of ADD_ORDER. Picked at random instead (run s31), no cell is likelier
# than "no object here" for greedy decoding, and the model drew empty pictures
# and doubled objects.
ROW_LAYOUT = {1: [4], 2: [3, 5], 3: [3, 4, 5]}
ADD_ORDER = [4, 3, 5, 1, 7, 0, 2, 6, 8]


def draw_request(rng, default_place=False):
    """-> (words, scene): a drawing request naming some attributes and the
    scene it asks for, the rest chosen at random (the places by
    ROW_LAYOUT with default_place)."""
    placed = False
    cells = list(range(GRID * GRID))
    rng.shuffle(cells)
    bg = rng.choice(BG_NAMES)
    u = rng.random()
    parts, objs = [], []
    if u < 0.5 or (u < 0.58):  # one object, maybe with "one"
        o = pick_obj(rng, pos=cells.pop())
        say = {a for a, p in (("color", 0.65), ("size", 0.45), ("pos", 0.35)) if rng.random() < p}
        placed = "pos" in say
        cw = rng.choice(NUMBER_WORDS[1]) if u >= 0.5 else None
        parts.append(obj_words(o, say, rng, cw))
        objs.append(o)
    elif u < 0.78:  # several objects, each its own phrase
        n = rng.randint(2, 3)
        say_pos = placed = rng.random() < 0.35
        for _ in range(n):
            o = pick_obj(rng, pos=cells.pop())
            say = {a for a, p in (("color", 0.7), ("size", 0.4)) if rng.random() < p}
            if say_pos:
                say.add("pos")
            parts.append(obj_words(o, say, rng))
            objs.append(o)
    else:  # a plural group, maybe with one more object
        n = rng.randint(2, 3)
        shape = rng.choice(SHAPES)
        color = rng.choice([c for c in COLOR_NAMES if allowed(shape, c, False)]) if rng.random() < 0.6 else None
        size = rng.choice(["big", "small"]) if rng.random() < 0.35 else None
        group = [pick_obj(rng, shape, color, size, cells.pop()) for _ in range(n)]
        adj = ([rng.choice(SIZE_WORDS[size])] if size else []) + ([color] if color else [])
        parts.append(" ".join([rng.choice(NUMBER_WORDS[n])] + adj + [shape + "s"]))
        objs += group
        if n == 2 and rng.random() < 0.3:
            o = pick_obj(rng, pos=cells.pop())
            parts.append(obj_words(o, {a for a in ("color", "size") if rng.random() < 0.5}, rng))
            objs.append(o)
    if default_place and not placed:
        for o, cell in zip(objs, ROW_LAYOUT[len(objs)]):
            o.pos = cell
    words = join_and(parts, rng)
    if rng.random() < 0.45:
        frame = rng.choice(BG_FRAMES) % bg
        words = words + (" " if rng.random() < 0.85 else ", ") + frame
    scene = Scene(bg, objs)
    return rng.choice(DRAW_FRAMES).format(v=rng.choice(DRAW_VERBS), d=words), scene


# ---------------------------------------------------------------- references

def refer(scene, o, rng, focus=None):
    """A phrase naming o in scene: 'it' (o is the focus), 'the other one',
    'the circle', 'the red one', 'the red circle', 'the circle on the left'."""
    opts = []
    if focus is not None and focus.key() == o.key():
        opts += ["it"] * 4
    if focus is not None and len(scene.objs) == 2 and focus.key() != o.key():
        opts += ["the other one", "the other shape"]
    if len(scene.objs) == 1:
        opts += ["it", "the shape", "the " + o.shape]
    same_shape = [p for p in scene.objs if p.shape == o.shape]
    if len(same_shape) == 1:
        opts += ["the " + o.shape] * 2
    if sum(1 for p in scene.objs if p.color == o.color) == 1:
        opts += ["the %s one" % o.color, "the %s shape" % o.color]
    if sum(1 for p in same_shape if p.color == o.color) == 1:
        opts += ["the %s %s" % (o.color, o.shape)]
    if sum(1 for p in scene.objs if p.size == o.size) == 1 and len(scene.objs) > 1:
        opts += ["the %s one" % rng.choice(SIZE_WORDS[o.size])]
    opts += ["the %s %s" % (o.shape, rng.choice(PLACES[o.pos]))]
    return rng.choice(opts)


def direction_target(scene, o, rng):
    """-> (words, cell) for a move by direction, or None if no free cell fits."""
    r, c = divmod(o.pos, GRID)
    free = set(scene.free_cells())
    opts = []
    for word, cell in (("left", r * GRID), ("right", r * GRID + 2), ("up", c), ("down", 6 + c)):
        if cell != o.pos and cell in free:
            opts.append((word, cell))
    if not opts:
        return None
    return rng.choice(opts)


# ---------------------------------------------------------------- edits and questions

def nl_edit(scene, focus, rng, default_place=False):
    """-> (words, new scene, new focus, kind, the object before) for an edit in everyday words."""
    kinds = ["recolor", "recolor", "resize", "move", "move", "background"]
    if len(scene.objs) < 3:
        kinds.append("add")
    if len(scene.objs) > 1:
        kinds.append("remove")
    kind = rng.choice(kinds)
    new = scene.copy()
    if kind == "background":
        bg = rng.choice([b for b in BG_NAMES if b != scene.bg])
        new.bg = bg
        words = rng.choice(["make the background %s", "change the background to %s", "%s background please",
                            "now on %s", "now with a %s background", "use %s for the background",
                            "switch the background to %s", "put it on a %s background", "paint the background %s",
                            "can you make the background %s?", "i'd like a %s background", "the background should be %s",
                            "set the background to %s", "background %s"]) % bg
        return words, new, focus, kind, None
    if kind == "add":
        o = pick_obj(rng, pos=rng.choice(scene.free_cells()))
        say = {a for a, p in (("color", 0.75), ("size", 0.5), ("pos", 0.5)) if rng.random() < p}
        if default_place and "pos" not in say:
            o.pos = [c for c in ADD_ORDER if c in scene.free_cells()][0]
        phrase = obj_words(o, say, rng)
        if rng.random() < 0.15 and any(p.shape == o.shape for p in scene.objs):
            phrase = "another " + " ".join(([o.color] if "color" in say else []) + [o.shape]) + \
                (" " + rng.choice(PLACES[o.pos]) if "pos" in say else "")
        words = rng.choice(["add %s", "also draw %s", "put %s in too", "and %s too", "now add %s",
                            "can you add %s?", "add %s as well", "include %s", "put %s next to it",
                            "throw in %s", "i also want %s", "draw %s too"]) % phrase
        new = Scene(scene.bg, new.objs + [o])
        return words, new, o, kind, None
    i = rng.randrange(len(scene.objs))
    if focus is not None and rng.random() < 0.6:
        i = [p.key() for p in scene.objs].index(focus.key())
    o, n = scene.objs[i], new.objs[i]
    r = refer(scene, o, rng, focus)
    if kind == "recolor":
        n.color = D.pick_color(rng, o.shape, o.color, False)
        c = n.color
        frames = ["make %(r)s %(c)s", "paint %(r)s %(c)s", "colour %(r)s %(c)s", "turn %(r)s %(c)s",
                  "change %(r)s to %(c)s", "change the color of %(r)s to %(c)s", "make %(r)s %(c)s instead",
                  "can you make %(r)s %(c)s?", "i want %(r)s %(c)s", "now make %(r)s %(c)s",
                  "%(r)s should be %(c)s", "recolor %(r)s %(c)s", "could you color %(r)s %(c)s?"]
        if r == "it":
            frames += ["now %(c)s", "%(c)s please", "now make it %(c)s", "in %(c)s please", "try %(c)s",
                       "make it %(c)s", "now in %(c)s", "%(c)s instead"]
        words = rng.choice(frames) % {"r": r, "c": c}
    elif kind == "resize":
        n.size = "small" if o.size == "big" else "big"
        if n.size == "big":
            frames = ["make %s bigger", "make %s larger", "enlarge %s", "make %s big", "scale %s up",
                      "grow %s", "make %s huge", "can you make %s bigger?", "blow %s up"]
            ell = ["bigger", "bigger please", "now bigger", "larger", "make it larger"]
        else:
            frames = ["make %s smaller", "shrink %s", "make %s small", "make %s tiny", "make %s little",
                      "scale %s down", "can you make %s smaller?", "reduce %s"]
            ell = ["smaller", "smaller please", "now smaller", "a bit smaller", "make it smaller"]
        words = (rng.choice(ell) if r == "it" and rng.random() < 0.3 else rng.choice(frames) % r)
    elif kind == "move":
        d = direction_target(scene, o, rng) if rng.random() < 0.5 else None
        if d:
            word, n.pos = d
            words = rng.choice(["move %s %s", "move %s to the %s", "shift %s %s", "push %s %s",
                                "slide %s %s", "move %s a bit %s"]) % (r, word) \
                if word in ("left", "right") else rng.choice(["move %s %s", "shift %s %s", "push %s %s",
                                                              "move %s %swards"]) % (r, word)
            if r == "it" and rng.random() < 0.2:
                words = rng.choice(["now %s", "further %s", "more to the %s"]) % word \
                    if word in ("left", "right") else "now %s" % word
        else:
            n.pos = rng.choice(scene.free_cells())
            words = rng.choice(["move %s %s", "put %s %s", "place %s %s", "shift %s %s", "drag %s %s",
                                "can you move %s %s?", "now move %s %s"]) % (
                r, rng.choice(TO_PLACES[n.pos]) if rng.random() < 0.6 else rng.choice(PLACES[n.pos]))
        new = Scene(scene.bg, new.objs)
    else:  # remove
        new = Scene(scene.bg, [p for j, p in enumerate(new.objs) if j != i])
        words = rng.choice(["remove %s", "delete %s", "get rid of %s", "erase %s", "take out %s",
                            "take %s away", "i don't want %s", "without %s please", "lose %s",
                            "can you remove %s?", "please delete %s", "drop %s"]) % r
        left = new.objs
        return words, new, (left[0] if len(left) == 1 else None), kind, o
    return words, new, n, kind, o


def nl_question(scene, focus, rng):
    """-> (words, answer) about scene, in everyday words; the answers are the templates' own."""
    o = rng.choice(scene.objs)
    if focus is not None and rng.random() < 0.5:
        o = focus
    r = refer(scene, o, rng, focus)
    kind = rng.choice(["color", "color", "shape", "position", "position", "size", "count", "count",
                       "background", "exists"])
    if kind == "color":
        return rng.choice(["what color is %s?", "which colour is %s?", "what's the color of %s?",
                           "tell me the colour of %s", "what color did you make %s?", "%s is what color?",
                           "what colour's %s"]) % r, o.color + "."
    if kind == "shape":
        if r.startswith("the " + o.shape) or r == "the shape":
            r = "it" if focus is not None and focus.key() == o.key() else None
        if r is None:
            return rng.choice(["what shape is %s?", "which shape is %s?", "what's %s?",
                               "what is the shape %s?"]) % rng.choice(PLACES[o.pos]), "a %s." % o.shape
        return rng.choice(["what shape is %s?", "which shape is %s?", "what kind of shape is %s?"]) % r, \
            "a %s." % o.shape
    if kind == "position":
        return rng.choice(["where is %s?", "where's %s?", "where did you put %s?", "where is %s placed?",
                           "in which spot is %s?"]) % r, D.at(o.pos) + "."
    if kind == "size":
        return rng.choice(["is %s big or small?", "how big is %s?", "what size is %s?", "is %s large or small?",
                           "big or small?" if r == "it" else "is %s small or big?"]).replace("%s", r), \
            o.size + "."
    if kind == "count":
        if rng.random() < 0.5:
            return rng.choice(["how many shapes are there?", "how many objects did you draw?",
                               "how many things are in the picture?", "count the shapes", "how many are there?",
                               "number of shapes?"]), D.NUMBERS[len(scene.objs)] + "."
        s = rng.choice(SHAPES)
        n = sum(1 for p in scene.objs if p.shape == s)
        return rng.choice(["how many %ss are there?", "how many %ss do you see?", "count the %ss"]) % s, \
            D.NUMBERS[n] + "."
    if kind == "background":
        return rng.choice(["what color is the background?", "what's the background colour?",
                           "which background did you use?", "what is the background?",
                           "background colour?"]), scene.bg + "."
    if rng.random() < 0.5:
        s = o.shape if rng.random() < 0.6 else rng.choice(SHAPES)
        yes = any(p.shape == s for p in scene.objs)
        return rng.choice(["is there a %s?", "do you see a %s?", "is there any %s?", "did you draw a %s?"]) % s, \
            "yes." if yes else "no."
    s = o.shape if rng.random() < 0.6 else rng.choice(SHAPES)
    c = o.color if rng.random() < 0.6 else rng.choice(COLOR_NAMES)
    yes = any(p.shape == s and p.color == c for p in scene.objs)
    return rng.choice(["is there a %s %s?", "do you see a %s %s?", "can you see a %s %s?"]) % (c, s), \
        "yes." if yes else "no."


CAPTION_ASKS = ["what's in this picture?", "describe this image please", "what do you see here?",
                "tell me what this shows", "what is this?", "describe this", "caption this", "what's this picture?",
                "can you describe this picture?", "what does this image show?"]
CAPTION_AGAIN = ["describe it now", "what does it look like now?", "describe the picture again",
                 "what's in the picture now?", "what do you see now?", "and now?", "describe what you drew"]


# ---------------------------------------------------------------- dialogues

OLD_TALK = dict(D.SMALL_TALK)


def small_talk(rng):
    """A greeting, a plea for help or a question about the model, and the
    reply; words the templates' small talk has keep the templates' reply."""
    u = rng.random()
    if u < 0.35:
        q = rng.choice(GREETINGS)
        return q, OLD_TALK.get(q, GREET_REPLY)
    if u < 0.75:
        q = rng.choice(HELP_ASKS)
        return q, OLD_TALK.get(q, HELP_REPLY)
    return rng.choice(WHO_ASKS), WHO_REPLY


def outside(rng):
    if rng.random() < 0.65:
        t = rng.choice(D.OUTSIDE_COLORS) + rng.choice(OUTSIDE_THINGS)
        return rng.choice(OUTSIDE_FRAMES).format(a=article(t), t=t), D.CANNOT_DRAW
    return rng.choice(OUTSIDE_QUESTIONS + D.OUTSIDE_QUESTIONS[:2] + D.OUTSIDE_QUESTIONS[3:]), D.CANNOT_ANSWER


def natural_dialogue(rng, max_turns=5, default_place=False):
    """One dialogue in everyday words: maybe small talk or an honest 'no
    picture yet' first, then a picture (asked for in everyday words, by a
    template, or shown) and follow-ups that edit it, ask about it, caption it,
    thank, draw anew, or step outside the world."""
    st = D.State()
    turns, focus = [], None

    def say(text, *reply, expect=None, image=None):
        parts = ([("image", image)] if image is not None else []) + [("text", noisy(text, rng))]
        turns.extend([D.user(*parts), D.model(*reply, expect=expect)])

    if rng.random() < 0.25:
        say(*((lambda q, a: (q, ("text", a)))(*small_talk(rng))))
    if rng.random() < 0.15:
        say(rng.choice(NO_PICTURE_ASKS), ("text", NO_PICTURE))
    if rng.random() < 0.04:
        say(*((lambda q, a: (q, ("text", a)))(*outside(rng))))
    u = rng.random()
    if u < 0.65:
        words, s = draw_request(rng, default_place)
        say(words, ("image", s), expect={"category": "generate", "scene": s})
    elif u < 0.8:
        s = random_scene(rng)
        turns.extend([D.user(("text", noisy(D.gen_prompt(s, rng), rng))), D.model(("image", s))])
    else:
        s = random_scene(rng)
        if rng.random() < 0.5:
            say(rng.choice(CAPTION_ASKS), ("text", s.describe()), image=s)
        else:
            q, a = nl_question(s, None, rng)
            say(q, ("text", a), image=s)
    st.images.append(s)
    focus = s.objs[0] if len(s.objs) == 1 else None
    for _ in range(rng.randint(1, max_turns)):
        cur = st.current
        u = rng.random()
        if u < 0.5:
            words, new, focus, kind, old = nl_edit(cur, focus, rng, default_place)
            if kind == "recolor":
                st.recolors.append((cur, old))
            st.edits.append((cur, new))
            st.images.append(new)
            say(words, ("image", new), expect={"category": "edit", "scene": new})
        elif u < 0.72:
            q, a = nl_question(cur, focus, rng)
            say(q, ("text", a))
        elif u < 0.78:
            say(rng.choice(CAPTION_AGAIN), ("text", cur.describe()))
        elif u < 0.85:
            say(*((lambda q, a: (q, ("text", a)))(*rng.choice(THANKS))))
        elif u < 0.93:
            words, s = draw_request(rng, default_place)
            st.images.append(s)
            focus = s.objs[0] if len(s.objs) == 1 else None
            say(words, ("image", s))
        elif u < 0.96:
            say(*((lambda q, a: (q, ("text", a)))(*small_talk(rng))))
        elif u < 0.98:
            say(*((lambda q, a: (q, ("text", a)))(*outside(rng))))
        else:
            turns.extend(D.history_query(st, rng, False, 0))
            focus = None
    return turns


def fix_old(d):
    """The template dialogues answer "who are you?" with the out-of-world
    refusal; in this language it is small talk (WHO_REPLY). Changes the
    dialogue in place, leaving the templates' random stream alone."""
    for i in range(len(d) - 1):
        t = d[i]
        if t["role"] == "user" and any(p == ("text", "who are you?") for p in t["parts"]):
            d[i + 1]["parts"] = [("text", WHO_REPLY)]
    return d


if __name__ == "__main__":
    rng = random.Random(0)
    for _ in range(6):
        for t in natural_dialogue(rng):
            print(t["role"], [p[1] if p[0] == "text" else p[1].describe() for p in t["parts"]])
        print()
