"""Dialogues in the synthetic world: the three ChatUMM data stages.

A dialogue is a list of turns {"role": "user"|"model", "parts": [...]} where a
part is ("text", str) or ("image", Scene). A model turn may carry "expect":
{"kind": ..., "category": ..., "depth": k} used by the eval to judge it.

Stage 1: stateful dialogues that chain tasks (draw, describe, answer, edit) on
one evolving scene. Stage 2: distractor turns (unrelated drawings, questions
about other pictures, small talk) inserted 0-4 deep before a query that depends
on the history ("go back to the first picture and ...", "what color was the
circle before i changed it?", "undo that"). Stage 3: interleaved replies
(text, image, text). Semantics the model must learn:
  - a plain edit or question refers to the latest picture in the conversation;
  - "the first picture" is the first picture of the conversation;
  - "undo that" redraws the picture the latest edit started from;
  - "before i changed it" asks about the picture before the latest recolor.
"""
import random
import zlib

from world import (BG_NAMES, COLOR_NAMES, HELD_OUT, POSITIONS, SHAPES, Obj,
                   random_object, random_scene)

NUMBERS = ["zero", "one", "two", "three"]


def at(pos):
    return "in the center" if pos == 4 else "at the " + POSITIONS[pos]


def to(pos):
    return "to the center" if pos == 4 else "to the " + POSITIONS[pos]


def ref(scene, o, rng, allow_color=True):
    """A phrase naming object o uniquely in scene ('the circle', 'the red
    circle', 'the circle at the top left')."""
    same_shape = [p for p in scene.objs if p.shape == o.shape]
    if len(same_shape) == 1 and rng.random() < 0.8:
        return "the " + o.shape
    if allow_color and sum(1 for p in same_shape if p.color == o.color) == 1 and rng.random() < 0.6:
        return "the %s %s" % (o.color, o.shape)
    return "the %s %s" % (o.shape, at(o.pos))


def user_description(scene, rng):
    objs = list(scene.objs)
    if rng.random() < 0.5:
        rng.shuffle(objs)
    parts = [o.phrase() for o in objs]
    body = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return body + " on a %s background" % scene.bg


def gen_prompt(scene, rng):
    d = user_description(scene, rng)
    return rng.choice(["draw %s.", "please draw %s.", "show me %s.", "make a picture of %s.",
                       "can you draw %s?", "i want %s."]) % d


# ---------------------------------------------------------------- edits

def pick_color(rng, shape, avoid, held_out_ok):
    while True:
        c = rng.choice(COLOR_NAMES)
        if c != avoid and (held_out_ok or (shape, c) not in HELD_OUT):
            return c


def random_edit(scene, rng, held_out_ok=False, kind=None):
    """Returns (new scene, instruction text, edit kind)."""
    kinds = ["recolor", "move", "resize", "background"]
    if len(scene.objs) < 3:
        kinds.append("add")
    if len(scene.objs) > 1:
        kinds.append("remove")
    kind = kind if kind in kinds else rng.choice(kinds)
    new = scene.copy()
    if kind == "background":
        bg = rng.choice([b for b in BG_NAMES if b != scene.bg])
        new.bg = bg
        text = rng.choice(["make the background %s.", "change the background to %s.",
                           "use a %s background.", "paint the background %s."]) % bg
        return new, text, kind
    if kind == "add":
        o = random_object(rng, rng.choice(scene.free_cells()), held_out_ok)
        new = type(scene)(scene.bg, new.objs + [o])
        text = rng.choice(["add %s.", "also draw %s.", "put %s in the picture too."]) % o.phrase()
        return new, text, kind
    i = rng.randrange(len(scene.objs))
    o, n = scene.objs[i], new.objs[i]
    r = ref(scene, o, rng)
    if kind == "recolor":
        n.color = pick_color(rng, o.shape, o.color, held_out_ok)
        text = rng.choice(["make %s %s.", "change the color of %s to %s.", "paint %s %s.",
                           "color %s %s."]) % (r, n.color)
    elif kind == "move":
        n.pos = rng.choice(scene.free_cells())
        new = type(scene)(scene.bg, new.objs)
        text = rng.choice(["move %s %s.", "put %s %s instead."]) % (r, to(n.pos)) \
            if rng.random() < 0.5 else "move %s %s." % (r, to(n.pos))
    elif kind == "resize":
        n.size = "small" if o.size == "big" else "big"
        if n.size == "small":
            text = rng.choice(["make %s small.", "make %s smaller.", "shrink %s."]) % r
        else:
            text = rng.choice(["make %s big.", "make %s bigger.", "enlarge %s."]) % r
    else:  # remove
        new = type(scene)(scene.bg, [p for j, p in enumerate(new.objs) if j != i])
        text = rng.choice(["remove %s.", "delete %s.", "take away %s."]) % r
    return new, text, kind


# ---------------------------------------------------------------- questions

def random_question(scene, rng, kind=None):
    """Returns (question, answer, kind) about scene."""
    kinds = ["color", "shape", "count", "position", "background", "size", "exists"]
    kind = kind or rng.choice(kinds)
    o = rng.choice(scene.objs)
    if kind == "color":
        r = ref(scene, o, rng, allow_color=False)
        return rng.choice(["what color is %s?", "which color does %s have?"]) % r, o.color + ".", kind
    if kind == "shape":
        if rng.random() < 0.25:
            free = scene.free_cells()
            if free:
                return "what is %s?" % at(rng.choice(free)), "nothing.", kind
        q = rng.choice(["what shape is %s?", "what is %s?"]) % at(o.pos)
        a = ("a %s." % o.shape) if q.startswith("what shape") else o.phrase().rsplit(" at ", 1)[0].rsplit(" in ", 1)[0] + "."
        return q, a, kind
    if kind == "count":
        if rng.random() < 0.5:
            return rng.choice(["how many objects are there?", "how many shapes do you see?",
                               "count the objects."]), NUMBERS[len(scene.objs)] + ".", kind
        c = rng.choice([o.color, rng.choice(COLOR_NAMES)])
        n = sum(1 for p in scene.objs if p.color == c)
        return "how many %s objects are there?" % c, NUMBERS[n] + ".", kind
    if kind == "position":
        same = [p for p in scene.objs if p.shape == o.shape]
        r = "the " + o.shape if len(same) == 1 else "the %s %s" % (o.color, o.shape)
        if sum(1 for p in same if p.color == o.color) > 1:
            return random_question(scene, rng, "count")
        return "where is %s?" % r, at(o.pos) + ".", kind
    if kind == "background":
        return rng.choice(["what color is the background?", "which background color is it?"]), scene.bg + ".", kind
    if kind == "size":
        r = ref(scene, o, rng)
        return "is %s big or small?" % r, o.size + ".", kind
    # exists. Half the questions name an object of the picture; of the rest
    # two in three are near misses (an object's shape in another colour, or
    # its colour on another shape), so that matching one word is not enough.
    u = rng.random()
    if u < 0.5:
        s, c = o.shape, o.color
    elif u < 0.5 + 1 / 6:
        s, c = o.shape, rng.choice([k for k in COLOR_NAMES if k != o.color])
    elif u < 0.5 + 2 / 6:
        s, c = rng.choice([k for k in SHAPES if k != o.shape]), o.color
    else:
        s, c = rng.choice(SHAPES), rng.choice(COLOR_NAMES)
    yes = any(p.shape == s and p.color == c for p in scene.objs)
    return "is there a %s %s?" % (c, s), ("yes." if yes else "no."), kind


CAPTION_PROMPTS = ["describe this picture.", "what is in this image?", "what do you see?",
                   "caption this image."]
CAPTION_AGAIN = ["describe the picture.", "what does it look like now?", "describe it."]
SMALL_TALK = [("hello", "hello! what should i draw?"), ("hi", "hi! what should i draw?"),
              ("thanks", "you are welcome."), ("thank you!", "you are welcome."),
              ("how are you?", "i am fine. what should i draw?"),
              ("what can you do?", "i can draw, describe and edit pictures."),
              ("nice", "thank you."), ("cool.", "thank you.")]


# Requests from outside the world get a polite refusal instead of a picture:
# the model should say what it can do rather than draw something arbitrary.
OUTSIDE_THINGS = ["cat", "dog", "house", "tree", "car", "person", "horse", "flower", "bird", "boat",
                  "face", "star", "heart", "hexagon", "rectangle", "line", "arrow", "moon", "sun",
                  "cloud", "fish", "robot", "chair", "apple", "dragon"]
OUTSIDE_COLORS = ["", "red ", "big ", "small ", "blue ", "green ", "black ", "golden "]
OUTSIDE_QUESTIONS = ["what is the capital of france?", "what time is it?", "who are you?",
                     "can you write a poem?", "what is two plus two?", "tell me a joke.",
                     "what is the weather like?", "translate hello into french."]
CANNOT_DRAW = "sorry, i can only draw squares, circles, triangles and diamonds."
CANNOT_ANSWER = "sorry, i can only draw, describe and edit pictures."


def outside_request(rng):
    """A turn pair asking for something outside the world, and the refusal."""
    if rng.random() < 0.7:
        thing = rng.choice(OUTSIDE_COLORS) + rng.choice(OUTSIDE_THINGS)
        article = "an" if thing[0] in "aeiou" else "a"
        text = rng.choice(["draw %s %s.", "please draw %s %s.", "show me %s %s.",
                           "can you draw %s %s?", "make a picture of %s %s."]) % (article, thing)
        return [user(("text", text)), model(("text", CANNOT_DRAW))]
    return [user(("text", rng.choice(OUTSIDE_QUESTIONS))), model(("text", CANNOT_ANSWER))]


def user(*parts):
    return {"role": "user", "parts": list(parts)}


def model(*parts, expect=None):
    t = {"role": "model", "parts": list(parts)}
    if expect:
        t["expect"] = expect
    return t


class State:
    """What the conversation has shown so far."""

    def __init__(self, describe_edits=0.0, name_target=0.0, restate_edits=0.0):
        self.describe_edits = describe_edits  # see edit_turn
        self.name_target = name_target        # see edit_turn
        self.restate_edits = restate_edits    # see edit_turn
        self.images = []      # every picture in order
        self.edits = []       # (before, after, kind, object index before)
        self.recolors = []    # (before scene, shape ref text, old color)

    @property
    def current(self):
        return self.images[-1]


def opener(st, rng, held_out_ok, interleave, look_burst=0.0, look_edit=0.0, shown_edit=0.35,
           hard_edit=0.0):
    """First exchange: the model draws a scene, or the user shows one. With
    probability look_burst a question about a shown picture is followed by a
    question_burst about it: answers no text of the dialogue gives away. With
    probability look_edit an edit of a shown picture is followed by 1-2 more
    edits: each must find its object in a picture no text describes. A shown
    picture is edited with probability shown_edit, else captioned (3 in 6.5
    of the rest) or asked about. With probability hard_edit such an edit
    (and the edits after it) is of the kind the models miss most: a picture
    of 2-3 objects (drawn anew if the shown one has
    fewer) and an edit that acts on one of them (edit_turn, HARD_KINDS)."""
    s = random_scene(rng, held_out_ok=held_out_ok)
    if rng.random() < 0.5:
        st.images.append(s)
        if interleave and rng.random() < 0.5:
            p = gen_prompt(s, rng)[:-1].rstrip("?") + " and describe it."
            return [user(("text", p)),
                    model(("text", "here it is."), ("image", s), ("text", s.describe()),
                          expect={"category": "interleaved", "scene": s, "text": s.describe()})]
        return [user(("text", gen_prompt(s, rng))), model(("image", s), expect={"category": "generate", "scene": s})]
    st.images.append(s)
    r = rng.random()
    if r < (1 - shown_edit) * 0.3 / 0.65:
        return [user(("image", s), ("text", rng.choice(CAPTION_PROMPTS))),
                model(("text", s.describe()), expect={"category": "caption", "text": s.describe()})]
    if r < 1 - shown_edit:
        q, a, k = random_question(s, rng)
        turns = [user(("image", s), ("text", q)), model(("text", a), expect={"category": "question", "text": a})]
        if look_burst and rng.random() < look_burst:
            turns += question_burst(s, rng)
        return turns
    hard = bool(hard_edit) and rng.random() < hard_edit
    if hard and len(s.objs) < 2:
        st.images[-1] = random_scene(rng, rng.randint(2, 3), held_out_ok=held_out_ok)
    turns = edit_turn(st, rng, held_out_ok, interleave, with_image=True, hard=hard)
    if look_edit and rng.random() < look_edit:
        for _ in range(rng.randint(1, 2)):
            turns += edit_turn(st, rng, held_out_ok, interleave, hard=hard)
    return turns


HARD_KINDS = ["recolor", "move", "resize", "remove"]


def edit_turn(st, rng, held_out_ok, interleave, with_image=False, base=None, prefix="", hard=False):
    """An edit and the model's reply. With probability st.describe_edits the
    reply first says what the new picture shows, then draws it (plan in
    words, then draw from the plan). Measured worse than the bare picture:
    the words must re-derive every object the edit leaves alone, which the
    picture reply just copies (tools/train/README.md, run s12). With share
    st.name_target the reply first names only the object the edit acts on
    (edit_target); with share st.restate_edits it first captions the
    picture being edited, then the result (restatement). Both measured worse
    too (runs s14, s15): the named object and the "after" caption are wrong
    where the bare picture is, and the picture follows the words. A hard
    edit acts on one object (HARD_KINDS) when the picture has more than one."""
    before = base if base is not None else st.current
    kind = rng.choice(HARD_KINDS) if hard and len(before.objs) > 1 else None
    new, text, kind = random_edit(before, rng, held_out_ok, kind)
    if kind == "recolor":
        old = [o for o in before.objs if o.key() not in {n.key() for n in new.objs}][0]
        st.recolors.append((before, old))
    st.edits.append((before, new))
    st.images.append(new)
    utext = prefix + text
    parts = [("image", before)] if with_image else []
    cat = "edit" if not prefix else "context"
    if interleave and rng.random() < 0.5:
        utext = utext[:-1] + " and tell me what you did."
        return [user(*parts, ("text", utext)),
                model(("text", "okay."), ("image", new), ("text", "i did it: " + text),
                      expect={"category": "interleaved", "scene": new, "text": "i did it: " + text})]
    reply = [("image", new)]
    # name_target and restate_edits choose by a hash, not rng, so the dialogues stay the
    # default stream's; they draw the same share, so only one of them may be set (train.py)
    share = zlib.crc32(repr((utext, before.key(), new.key())).encode()) % 1000 / 1000
    if st.describe_edits and rng.random() < st.describe_edits:
        reply.insert(0, ("text", new.describe()))
    elif share < st.name_target:
        reply.insert(0, ("text", edit_target(before, new)))
    elif share < st.restate_edits:
        reply.insert(0, ("text", restatement(before, new)))
    return [user(*parts, ("text", utext)), model(*reply, expect={"category": cat, "scene": new})]


def edit_target(before, new):
    """'okay, the big red circle at the top left.': the object an edit acts on
    as it was before (the added one for an add), said before the picture so
    that the picture only has to change the place the words give (train.py
    --name-target; run s14 mostly named the wrong place)."""
    gone = [o for o in before.objs if o.key() not in {n.key() for n in new.objs}]
    added = [o for o in new.objs if o.key() not in {b.key() for b in before.objs}]
    if gone:
        return "okay, the %s." % gone[0].phrase()[2:]
    if added:
        return "okay, %s." % added[0].phrase()
    return "okay, the background."


def restatement(before, new):
    """'before: <caption of before> after: <caption of new>': the edit done in
    words on a caption, the model's most reliable reading of a picture
    (train.py --restate-edits; run s15 mostly got the "after" wrong)."""
    return "before: %s after: %s" % (before.describe(), new.describe())


def distractor(st, rng, held_out_ok):
    r = rng.random()
    if r < 0.35:
        u, a = rng.choice(SMALL_TALK)
        return [user(("text", u)), model(("text", a))]
    other = random_scene(rng, held_out_ok=held_out_ok)
    if r < 0.65:
        st.images.append(other)
        return [user(("text", gen_prompt(other, rng))), model(("image", other))]
    st.images.append(other)
    if rng.random() < 0.4:
        return [user(("image", other), ("text", rng.choice(CAPTION_PROMPTS))), model(("text", other.describe()))]
    q, a, _ = random_question(other, rng)
    return [user(("image", other), ("text", q)), model(("text", a))]


def history_query(st, rng, held_out_ok, depth):
    """A turn that can only be answered from the history; picks what fits."""
    first = st.images[0]
    opts = ["goback", "firstq", "showfirst"]
    if st.recolors:
        opts += ["before", "before"]
    if st.edits and depth <= 1:
        opts += ["undo"]
    kind = rng.choice(opts)
    exp = {"category": "context", "depth": depth, "query": kind}
    if kind == "goback":
        pre = rng.choice(["go back to the first picture and ", "in the first picture, ",
                          "take the first picture and "])
        turns = edit_turn(st, rng, held_out_ok, False, base=first, prefix=pre)
        turns[1]["expect"].update(exp)
        return turns
    if kind == "firstq":
        q, a, _ = random_question(first, rng)
        q = rng.choice(["in the first picture, ", "looking at the first picture, "]) + q
        exp["text"] = a
        return [user(("text", q)), model(("text", a), expect=exp)]
    if kind == "showfirst":
        st.images.append(first)
        exp["scene"] = first
        return [user(("text", rng.choice(["show me the first picture again.", "go back to the first picture."]))),
                model(("image", first), expect=exp)]
    if kind == "before":
        before, old = st.recolors[-1]
        r = ref(before, old, rng, allow_color=False)
        q = "what color was %s before i changed it?" % r
        exp["text"] = old.color + "."
        return [user(("text", q)), model(("text", old.color + "."), expect=exp)]
    before, _ = st.edits[-1]
    st.images.append(before)
    exp["scene"] = before
    return [user(("text", rng.choice(["undo that.", "undo the last change.", "go back to how it was before."]))),
            model(("image", before), expect=exp)]


def follow_up(st, rng, held_out_ok, interleave):
    if rng.random() < 0.05:
        return outside_request(rng)
    r = rng.random()
    if r < 0.5:
        return edit_turn(st, rng, held_out_ok, interleave)
    if r < 0.85:
        q, a, _ = random_question(st.current, rng)
        return [user(("text", q)), model(("text", a), expect={"category": "question", "text": a})]
    c = st.current.describe()
    return [user(("text", rng.choice(CAPTION_AGAIN))), model(("text", c), expect={"category": "caption", "text": c})]


# Question kinds in a burst, weighted towards the ones that need an object
# found by two attributes (yes/no, where is, what is at, how many of a colour).
BURST_KINDS = ["exists"] * 3 + ["position"] * 3 + ["shape"] * 2 + ["count"] * 2 + ["color", "size", "background"]


def question_burst(scene, rng, prefix=""):
    """2-4 questions in a row about one picture: cheap turns (no picture in
    the reply) that each supervise an answer read off the picture."""
    turns, asked = [], set()
    for _ in range(rng.randint(2, 4)):
        q, a, _ = random_question(scene, rng, rng.choice(BURST_KINDS))
        if q in asked:
            continue
        asked.add(q)
        turns += [user(("text", prefix + q)), model(("text", a))]
    return turns


def make_dialogue(rng, held_out_ok=False, stage2=True, interleave=True, max_images=7, q_burst=0.0,
                  look_burst=0.0, look_edit=0.0, first_burst=0.0, shown_edit=0.35, describe_edits=0.0,
                  name_target=0.0, restate_edits=0.0, hard_edit=0.0, deep_context=0.0):
    """One training dialogue mixing the three stages. q_burst > 0 adds, with
    that probability after a follow-up or a question about the first picture,
    a burst of further questions (question_burst); look_burst does the same
    after a question about a picture the user shows first, and look_edit adds
    edits after an edit of it (opener); first_burst adds a burst after a
    question about the first picture only; shown_edit is the share of edits
    among openers that show a picture; describe_edits is the share of edit
    replies that describe the result before drawing it (edit_turn);
    name_target is the share of edit replies that first name the object the
    edit acts on (edit_target) and restate_edits the share that describe the
    picture before and after the edit, then draw (restatement); those two
    are chosen by a hash, so the random stream is unchanged (set at most one
    of them); hard_edit is the share of shown-picture edits made hard (opener);
    deep_context is the share of history queries asked after 4 distractors,
    the deepest the eval asks (run s34: k = 4 was the weakest depth).
    At 0 (and 0.35) the random stream is the one the earlier runs drew."""
    st = State(describe_edits, name_target, restate_edits)
    turns = outside_request(rng) if rng.random() < 0.03 else []
    turns += opener(st, rng, held_out_ok, interleave, look_burst, look_edit, shown_edit, hard_edit)
    for _ in range(rng.randint(0, 4)):
        if len(st.images) >= max_images:
            break
        if stage2 and rng.random() < 0.45:
            depth = rng.randint(0, 4)
            if deep_context and rng.random() < deep_context:
                depth = 4
            for _ in range(depth):
                turns += distractor(st, rng, held_out_ok)
            turns += history_query(st, rng, held_out_ok, depth)
            last = turns[-1]
            if ((q_burst and last["parts"][0][0] == "text" and rng.random() < q_burst)
                    or (first_burst and last.get("expect", {}).get("query") == "firstq"
                        and rng.random() < first_burst)):
                prefix = rng.choice(["in the first picture, ", "looking at the first picture, "])
                turns += question_burst(st.images[0], rng, prefix)
        else:
            turns += follow_up(st, rng, held_out_ok, interleave)
            if q_burst and rng.random() < q_burst:
                turns += question_burst(st.current, rng)
    return turns


def context_dialogue(rng, depth, held_out_ok=False):
    """Eval dialogue for context tracking: an opener, maybe an edit, `depth`
    distractors, then a history query (the judged turn)."""
    while True:
        st = State()
        turns = opener(st, rng, held_out_ok, False)
        if rng.random() < 0.7:
            turns += edit_turn(st, rng, held_out_ok, False)
        for _ in range(depth):
            turns += distractor(st, rng, held_out_ok)
        q = history_query(st, rng, held_out_ok, depth)
        if "expect" in q[-1]:
            for t in turns:
                t.pop("expect", None)
            return turns + q
