"""Acceptance tests of `nasbench.space` (Cell): grammar round trips, the canonical form and
its invariances, arch_hash, and bad input (ValueError only, with a position or token)."""
from __future__ import annotations

import ast
import hashlib
import itertools
import random
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nasbench.space import ALIASES, OPS, Cell, pnas, resolve_op
from nasbench.space.cell import MAX_BLOCKS, canonical_blocks, reorder, topological_orders
from nasbench.space.ops import OPS_SORTED

SETTINGS = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

PNASNET5 = ("sep_conv_5x5@0+max_pool_3x3@0,sep_conv_7x7@1+max_pool_3x3@1,sep_conv_5x5@1+sep_conv_3x3@1,"
            "sep_conv_3x3@4+max_pool_3x3@1,sep_conv_3x3@0+identity@1")  # DESIGN.md

SHORT = {"identity": "id", "avg_pool_3x3": "avg3", "max_pool_3x3": "max3", "dil_conv_3x3": "dil3",
         "sep_conv_3x3": "sep3", "sep_conv_5x5": "sep5", "sep_conv_7x7": "sep7",
         "conv_1x7_7x1": "conv17"}  # DESIGN.md


# ---------------------------------------------------------------------- helpers
@st.composite
def ordered_cells(draw, min_b: int = 1, max_b: int = 5):
    """A random valid ordered cell (blocks as internal op codes), 1..5 blocks."""
    b = draw(st.integers(min_b, max_b))
    blocks = []
    for k in range(1, b + 1):
        # favour reading earlier blocks so that dependency structure is exercised
        inp = st.one_of(st.integers(0, k), st.integers(max(0, k - 1), k))
        operand = st.tuples(st.integers(0, len(OPS) - 1), inp)
        if blocks and draw(st.integers(0, 3)) == 0:
            # repeat an earlier block (identical blocks are where tie-breaking matters)
            blocks.append(blocks[draw(st.integers(0, len(blocks) - 1))])
        else:
            blocks.append((draw(operand), draw(operand)))
    return tuple(blocks)


def random_ordered_cell(rng: random.Random, b: int) -> tuple:
    return tuple(((rng.randrange(8), rng.randint(0, k)), (rng.randrange(8), rng.randint(0, k)))
                 for k in range(1, b + 1))


def my_format(blocks, short: bool = False) -> str:
    name = (lambda op: SHORT[OPS_SORTED[op]]) if short else (lambda op: OPS_SORTED[op])
    return ",".join(f"{name(a)}@{i}+{name(b)}@{j}" for (a, i), (b, j) in blocks)


def my_orders(blocks) -> list[tuple[int, ...]]:
    """Dependency-respecting orders by filtering all permutations (own code)."""
    n = len(blocks)
    out = []
    for perm in itertools.permutations(range(n)):
        pos = {old: new for new, old in enumerate(perm)}
        if all(pos[inp - 2] < pos[k] for k in range(n) for _, inp in blocks[k] if inp >= 2):
            out.append(perm)
    return out


def my_reorder(blocks, order, swaps) -> tuple:
    pos = {old: new for new, old in enumerate(order)}
    out = []
    for new, old in enumerate(order):
        a, b = ((op, inp if inp < 2 else pos[inp - 2] + 2) for op, inp in blocks[old])
        out.append((b, a) if swaps[new] else (a, b))
    return tuple(out)


def random_topological_reorder(blocks, rng: random.Random) -> tuple:
    n = len(blocks)
    deps = [{inp - 2 for _, inp in blk if inp >= 2} for blk in blocks]
    order: list[int] = []
    while len(order) < n:
        order.append(rng.choice([i for i in range(n) if i not in order and deps[i] <= set(order)]))
    return my_reorder(blocks, order, [rng.random() < 0.5 for _ in range(n)])


def smallest_string(blocks) -> str:
    """Brute force of the DESIGN.md definition: min string over all swaps and orders."""
    best = None
    for order in my_orders(blocks):
        for swaps in itertools.product((False, True), repeat=len(blocks)):
            s = my_format(my_reorder(blocks, order, swaps))
            if best is None or s < best:
                best = s
    return best


# ---------------------------------------------------------------------- vocabulary
def test_ops_and_aliases():
    assert OPS == ("identity", "avg_pool_3x3", "max_pool_3x3", "dil_conv_3x3", "sep_conv_3x3",
                   "sep_conv_5x5", "sep_conv_7x7", "conv_1x7_7x1")
    assert ALIASES == {v: k for k, v in SHORT.items()}
    for name in OPS:
        assert resolve_op(name) == name
        assert resolve_op(SHORT[name]) == name
    for bad in ("", "sep_conv_9x9", "SEP3", "identity "):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            resolve_op(bad)


def test_pnasnet5_parses_and_aliases_are_equivalent():
    cell = Cell.parse(PNASNET5)
    assert cell.num_blocks == 5
    assert cell.format() == PNASNET5
    short = PNASNET5
    for full, alias in SHORT.items():
        short = short.replace(full, alias)
    assert Cell.parse(short).blocks == cell.blocks
    assert cell.format(short=True) == short
    assert cell.canonical_string == smallest_string(cell.blocks)


# ---------------------------------------------------------------------- round trips
@SETTINGS
@given(ordered_cells())
def test_format_parse_round_trip(blocks):
    c = Cell(blocks)
    assert c.blocks == blocks
    text = c.format()
    assert text == my_format(blocks)
    assert " " not in text and text.count(",") == len(blocks) - 1
    assert Cell.parse(text) == c
    assert Cell.parse(text).blocks == c.blocks
    short = c.format(short=True)
    assert short == my_format(blocks, short=True)
    assert Cell.parse(short).blocks == c.blocks
    geno = c.genotype()
    assert geno == [(OPS_SORTED[op], inp) for blk in blocks for op, inp in blk]
    assert Cell.parse(geno).blocks == c.blocks
    assert Cell.parse(str(geno)).blocks == c.blocks
    assert Cell.parse(tuple(geno)).blocks == c.blocks
    assert Cell.parse(c) is c
    assert Cell.parse(f"  {text}\n").blocks == c.blocks
    assert str(c) == c.canonical_string
    assert Cell.parse(c.canonical_string) == c


# ---------------------------------------------------------------------- canonical form
@SETTINGS
@given(ordered_cells(), st.randoms(use_true_random=False))
def test_canonical_invariant_under_library_reorders(blocks, rnd):
    c = Cell(blocks)
    orders = list(topological_orders(blocks))
    assert sorted(orders) == sorted(my_orders(blocks))
    order = rnd.choice(orders)
    swaps = [rnd.random() < 0.5 for _ in blocks]
    other = reorder(blocks, order, swaps)
    assert other == my_reorder(blocks, order, swaps)
    d = Cell(other)
    assert d.canonical_blocks == c.canonical_blocks
    assert d.canonical_string == c.canonical_string
    assert d.arch_hash == c.arch_hash and d == c and hash(d) == hash(c)


@SETTINGS
@given(ordered_cells(), st.randoms(use_true_random=False))
def test_canonical_invariant_under_own_permutations_and_swaps(blocks, rnd):
    c = Cell(blocks)
    for _ in range(5):
        d = Cell(random_topological_reorder(blocks, rnd))
        assert d.canonical_string == c.canonical_string
        assert d == c and hash(d) == hash(c) and d.arch_hash == c.arch_hash
    # swapping the operands of one block only
    k = rnd.randrange(len(blocks))
    swapped = list(blocks)
    swapped[k] = (blocks[k][1], blocks[k][0])
    assert Cell(swapped).canonical_string == c.canonical_string


@settings(max_examples=80, deadline=None, database=None, derandomize=True)
@given(ordered_cells())
def test_canonical_is_the_smallest_string(blocks):
    c = Cell(blocks)
    assert c.canonical_string == smallest_string(blocks)
    assert c.canonical().format() == c.canonical_string


@SETTINGS
@given(ordered_cells())
def test_canonical_idempotent_and_hash(blocks):
    c = Cell(blocks)
    canon = c.canonical()
    assert canon.blocks == c.canonical_blocks
    assert canon.canonical_blocks == canon.blocks
    assert canonical_blocks(canon.blocks) == canon.blocks
    assert canon.canonical().blocks == canon.blocks
    assert Cell.parse(c.canonical_string).blocks == c.canonical_blocks
    # canonical blocks are operand-sorted
    assert all(a <= b for a, b in canon.blocks)
    assert c.arch_hash == hashlib.sha256(c.canonical_string.encode()).hexdigest()[:16]
    assert re.fullmatch(r"[0-9a-f]{16}", c.arch_hash)
    assert canon.arch_hash == c.arch_hash and canon == c


def test_distinct_canonical_forms_have_distinct_hashes_over_b1_and_b2():
    cells = list(pnas.enumerate(1)) + list(pnas.enumerate(2))
    assert len(cells) == 136 + 31_620
    strings = {c.canonical_string for c in cells}
    hashes = {c.arch_hash for c in cells}
    assert len(strings) == len(hashes) == len(cells)
    for c in cells[::97]:
        assert c.arch_hash == hashlib.sha256(c.canonical_string.encode()).hexdigest()[:16]
    assert len(set(cells)) == len(cells)  # Cell.__eq__/__hash__ agree


def test_equal_canonical_means_equal_cells_over_ordered_b2():
    rng = random.Random(0)
    for _ in range(2000):
        blocks = random_ordered_cell(rng, 2)
        c = Cell(blocks)
        d = Cell(random_topological_reorder(blocks, rng))
        assert c == d and hash(c) == hash(d) and c.arch_hash == d.arch_hash
        assert c.canonical_string == d.canonical_string
        e = Cell(random_ordered_cell(rng, 2))
        assert (e == c) == (e.canonical_string == c.canonical_string)
        assert (e == c) == (e.arch_hash == c.arch_hash)


def test_cell_constructor_validates():
    with pytest.raises(ValueError):
        Cell([])
    with pytest.raises(ValueError):
        Cell([((0, 2), (0, 0))])  # block 1 reads block 1
    with pytest.raises(ValueError):
        Cell([((8, 0), (0, 0))])
    with pytest.raises(ValueError):
        Cell([((0, -1), (0, 0))])
    with pytest.raises(ValueError, match="at most"):
        Cell([((0, 0), (0, 1))] * (MAX_BLOCKS + 1))
    assert Cell([((0, 0), (0, 1))] * MAX_BLOCKS).num_blocks == MAX_BLOCKS


# ---------------------------------------------------------------------- bad input
NAMES = {name: name for name in OPS} | dict(ALIASES)
_REF_OPERAND = re.compile(r"([A-Za-z0-9_]+)@([0-9]+)", re.ASCII)
_REPR = r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_TOKEN_AT = re.compile(_REPR + r" at position (\d+)")
_GOT_AT = re.compile(r"at position (\d+): expected 'op@in\+op@in', got " + _REPR + r"$")


def reference_parse(text: str):
    """Own reading of the grammar: the genotype [(name, input), ...] or None if invalid."""
    t = text.strip()
    out = []
    if t.startswith("["):
        try:
            value = ast.literal_eval(t)
        except Exception:
            return None
        if not isinstance(value, (list, tuple)) or not value or len(value) % 2:
            return None
        for i, pair in enumerate(value):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                return None
            op, inp = pair
            if not isinstance(op, str) or op not in NAMES or type(inp) is not int:
                return None
            if not 0 <= inp <= i // 2 + 1:
                return None
            out.append((NAMES[op], inp))
        return out if len(out) <= 2 * MAX_BLOCKS else None
    blocks = t.split(",")
    for k, block in enumerate(blocks, start=1):
        parts = block.split("+")
        if len(parts) != 2:
            return None
        for part in parts:
            m = _REF_OPERAND.fullmatch(part)
            if not m or m.group(1) not in NAMES or int(m.group(2)) > k:
                return None
            out.append((NAMES[m.group(1)], int(m.group(2))))
    return out if len(blocks) <= MAX_BLOCKS else None


def check_message(text: str, msg: str) -> str | None:
    """None if the ValueError message is acceptable, else why not."""
    t = text.strip()
    if "position" in msg:
        if t.startswith("["):
            return None
        m = _TOKEN_AT.search(msg)
        tok_pos = (m.group(1), m.group(2)) if m else None
        if tok_pos is None:
            m = _GOT_AT.search(msg)
            tok_pos = (m.group(2), m.group(1)) if m else None
        if tok_pos is None:
            return None
        tok, pos = ast.literal_eval(tok_pos[0]), int(tok_pos[1])
        # counted in the text as given or after stripping it (the strict form, counting
        # leading whitespace, is test_error_position_counts_leading_whitespace)
        if tok not in (text[pos:pos + len(tok)], t[pos:pos + len(tok)]):
            return f"token {tok!r} is not at position {pos} of {t!r}"
        return None
    if re.search(r"genotype item \d+", msg):
        return None
    if msg == "empty architecture string" and not t:
        return None
    if re.fullmatch(r"a genotype needs two \(op, input\) pairs per block, got \d+", msg):
        return None
    if msg.startswith("a genotype must be a list") or msg.startswith("a cell has at most"):
        return None
    return "message names neither a position nor a token"


def parse_outcome(text):
    """Parse ``text``; return a problem description or None if the behaviour is acceptable."""
    try:
        cell = Cell.parse(text)
    except ValueError as exc:
        return check_message(text, str(exc))
    except Exception as exc:  # noqa: BLE001 - anything but ValueError is a failure
        return f"raised {type(exc).__name__}: {exc}"
    ref = reference_parse(text)
    if ref is None:
        return f"accepted invalid input as {cell.format()!r}"
    if cell.genotype() != ref:
        return f"parsed as {cell.genotype()!r}, expected {ref!r}"
    return None


GRAMMAR_CHARS = "@+,[]()'\" 0123456789_xsepconvidmaxgildy"
WHITESPACE = " \t\n\r\x0b\x0c"


def _valid_text(rng: random.Random) -> str:
    blocks = random_ordered_cell(rng, rng.randint(1, 5))
    kind = rng.randrange(4)
    if kind == 0:
        return Cell(blocks).format()
    if kind == 1:
        return Cell(blocks).format(short=True)
    if kind == 2:
        return Cell(blocks).canonical_string
    return str(Cell(blocks).genotype())


def _mutate(text: str, rng: random.Random, alphabet: str) -> str:
    for _ in range(rng.randint(1, 3)):
        i = rng.randint(0, len(text))
        what = rng.randrange(3)
        if what == 0 and text:
            i = min(i, len(text) - 1)
            text = text[:i] + text[i + 1:]
        elif what == 1:
            text = text[:i] + rng.choice(alphabet) + text[i:]
        elif text:
            i = min(i, len(text) - 1)
            text = text[:i] + rng.choice(alphabet) + text[i + 1:]
    return text


_BAD_PAIRS = [
    "('sep3',)", "('sep3', 0, 1)", "(0, 'sep3')", "('sep3', 1.0)", "('sep3', True)", "('sep3', None)",
    "('sep3', '0')", "('bogus', 0)", "('sep3', 9)", "('sep3', -1)", "['sep3', [0]]", "'sep3@0'",
    "{'sep3': 0}", "{'sep3', 0}", "{[]: 0}", "{0, [1]}", "{(): {}}", "b'sep3'", "('SEP3', 0)",
    "(('sep3', 0), ('sep3', 1))", "1", "None", "[]", "()", "('sep3', 10**3)",
]


def _bad_genotype(rng: random.Random) -> str:
    blocks = random_ordered_cell(rng, rng.randint(1, 4))
    pairs = [repr(p) for p in Cell(blocks).genotype()]
    what = rng.randrange(4)
    if what == 0:
        pairs[rng.randrange(len(pairs))] = rng.choice(_BAD_PAIRS)
    elif what == 1:
        pairs.pop(rng.randrange(len(pairs)))  # odd number of pairs
    elif what == 2:
        pairs.append(rng.choice(_BAD_PAIRS + pairs))
    else:
        pairs.insert(rng.randrange(len(pairs) + 1), rng.choice(_BAD_PAIRS))
    sep = rng.choice([", ", ",", " , "])
    tail = rng.choice(["", ",", ",,", " "])
    return "[" + sep.join(pairs) + tail + "]"


def _wrong_input(rng: random.Random) -> str:
    text = Cell(random_ordered_cell(rng, rng.randint(1, 5))).format(short=rng.random() < 0.5)
    digits = [m.start(1) for m in re.finditer(r"@(\d+)", text)]
    i = rng.choice(digits)
    bad = rng.choice(["9", "7", "6", "99", "-1", "", " 1", "1.0", "a", "0x1", "1e1", "00001", "½", "٣"])
    return text[:i] + bad + text[i + 1:]


def _unknown_op(rng: random.Random) -> str:
    blocks = random_ordered_cell(rng, rng.randint(1, 5))
    text = Cell(blocks).format(short=rng.random() < 0.5)
    ops = [m.span(1) for m in re.finditer(r"(?:^|[+,])([A-Za-z0-9_]+)@", text)]
    a, b = rng.choice(ops)
    bad = rng.choice(["sep_conv_9x9", "SEP3", "Identity", "conv", "avg", "max_pool", "sep", "x",
                      "", "sep3 ", "identity_", "conv_7x1_1x7", "dil5", "none", "zero"])
    return text[:a] + bad + text[b:]


def _structure(rng: random.Random) -> str:
    text = Cell(random_ordered_cell(rng, rng.randint(1, 5))).format(short=rng.random() < 0.5)
    what = rng.randrange(7)
    if what == 0:
        return text + ","  # trailing comma
    if what == 1:
        return "," + text
    if what == 2:
        i = rng.choice([m.start() for m in re.finditer(",", text)] or [len(text)])
        return text[:i] + ",," + text[i:]  # empty block
    if what == 3:
        return text.replace("+", rng.choice(["", "++", "-", " + ", ","]), 1)
    if what == 4:
        return text.replace("@", rng.choice(["", "@@", "#", " @"]), 1)
    if what == 5:
        return text + rng.choice(["+", "+id@0", ",id@0", ",id@0+", ";", "]"])
    return rng.choice(["", " ", ",", "+", "@", "@0", "id@0", "id@0+", "+id@0", "[", "]", "[()]",
                       "[(,)]", "[,]", "id@0+id@1,", ",,,", "id@0+id@1" + ",id@0+id@1" * 16])


def _whitespace(rng: random.Random) -> str:
    text = _valid_text(rng)
    i = rng.randint(0, len(text))
    return text[:i] + rng.choice(WHITESPACE) + text[i:]


def fuzz_strings(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    makers = [
        ("printable", lambda: "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 60)))),
        ("grammar-chars", lambda: "".join(rng.choice(GRAMMAR_CHARS) for _ in range(rng.randint(0, 60)))),
        ("mutated", lambda: _mutate(_valid_text(rng), rng, string.printable)),
        ("mutated-grammar", lambda: _mutate(_valid_text(rng), rng, GRAMMAR_CHARS)),
        ("wrong-input", lambda: _wrong_input(rng)),
        ("unknown-op", lambda: _unknown_op(rng)),
        ("structure", lambda: _structure(rng)),
        ("whitespace", lambda: _whitespace(rng)),
        ("bad-genotype", lambda: _bad_genotype(rng)),
    ]
    out = []
    for i in range(n):
        name, make = makers[i % len(makers)]
        out.append((name, make()))
    return out


def test_fuzz_10000_bad_strings_raise_only_value_error():
    cases = fuzz_strings(10_000, seed=20240601)
    assert len(cases) == 10_000
    problems: dict[str, list] = {}
    rejected = 0
    for kind, text in cases:
        problem = parse_outcome(text)
        if problem is not None:
            problems.setdefault(kind, []).append((text, problem))
        elif reference_parse(text) is None:
            rejected += 1
    assert rejected > 8000  # the generator really produces mostly invalid input
    report = {k: (len(v), v[:3]) for k, v in problems.items()}
    assert not problems, report


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(st.one_of(st.text(), st.text(alphabet=GRAMMAR_CHARS + WHITESPACE),
                 ordered_cells().map(lambda b: Cell(b).format()).flatmap(
                     lambda s: st.tuples(st.just(s), st.integers(0, len(s)), st.text(max_size=2))).map(
                     lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + 1:])))
def test_hypothesis_text_raises_only_value_error(text):
    assert parse_outcome(text) is None


@pytest.mark.parametrize("text,needle", [
    ("sep3@9+id@1", "sep3@9"),
    ("sep3@0+id@2", "id@2"),
    ("sep3@0+id@1,max3@0+avg3@3", "avg3@3"),
    ("sep3@0+foo@1", "foo"),
    ("sep_conv_9x9@0+id@1", "sep_conv_9x9"),
    ("sep3@0+id@1,", "position 12"),
    ("sep3@0+id@1,,max3@0+max3@1", "position 12"),
    ("sep3@0", "position 0"),
    ("sep3@0+id@1+max3@0", "position 0"),
    ("sep3@+id@1", "sep3@"),
    ("sep3@0+id@0001", "0001"),
    ("sep3 @0+id@1", "sep3 @0"),
    ("[('sep3', 0), ('id', 9)]", "9"),
    ("[('sep3', 0), ('bogus', 1)]", "bogus"),
    ("[('sep3', 0), ('id',)]", "('id',)"),
    ("[('sep3', 0)]", "got 1"),
    ("[('sep3', 0), ('id', 1)", "position"),
])
def test_bad_strings_name_token_or_position(text, needle):
    with pytest.raises(ValueError) as info:
        Cell.parse(text)
    assert needle in str(info.value)
    assert check_message(text, str(info.value)) is None


def test_empty_and_non_string_input():
    for text in ("", "   ", "\n"):
        with pytest.raises(ValueError, match="empty"):
            Cell.parse(text)
    for obj in (None, 3, 2.5, {"a": 1}, b"sep3@0+id@1"):
        with pytest.raises(ValueError):
            Cell.parse(obj)


def test_parse_rejects_embedded_newline():
    """The grammar is one line without spaces: a newline inside must be an error."""
    for text in ("sep_conv_3x3@0\n+identity@1", "sep3@0+id@1\n,max3@0+max3@1",
                 "sep3@0+id@1,max3@0\n+max3@1"):
        with pytest.raises(ValueError):
            Cell.parse(text)


@pytest.mark.parametrize("text", ["[{[]: 1}]", "[{0, [1]}]", "[('sep3', 0), {(): {}}]",
                                  "[('sep3', 0), ('id', {[]: 0})]"])
def test_unhashable_genotype_literals_raise_value_error(text):
    with pytest.raises(ValueError):
        Cell.parse(text)


def test_error_position_counts_leading_whitespace():
    """Positions refer to the text as the user gave it, leading whitespace included."""
    text = "  sep3@0+bad@1"
    with pytest.raises(ValueError) as info:
        Cell.parse(text)
    msg = str(info.value)
    assert "'bad@1'" in msg
    pos = int(re.search(r"position (\d+)", msg).group(1))
    assert text[pos:pos + len("bad@1")] == "bad@1", msg
