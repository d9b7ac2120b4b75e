"""devtools/mutation.py: the changes it makes and which it picks (the runner itself is `make mutation`)."""
from hwr_desktop.devtools.mutation import _line_set, mutants, mutated

SOURCE = "def f(a, b):\n    if a < b and not a:\n        return a + 1\n    return b\n"


def test_every_mutation_point_of_a_small_function_and_its_change():
    found = [(m.line, m.what) for m in mutants(SOURCE)]
    assert found == [(2, "Lt -> LtE"), (2, "Not removed"), (2, "And -> Or"), (3, "1 -> 2"), (3, "Add -> Sub")]
    assert "return a - 1" in mutated(SOURCE, 4) and "a < b" in mutated(SOURCE, 4)
    assert "a <= b" in mutated(SOURCE, 0)


def test_lines_pick_single_lines_and_ranges():
    assert _line_set("3") == {3}
    assert _line_set("140-143,322") == {140, 141, 142, 143, 322}


def test_every_equivalent_mutant_listed_is_still_a_mutant_of_its_module():
    # EQUIVALENT names mutants by line: an edit above them shifts the lines, and an entry that names
    # no mutant excludes nothing (twice on 2026-12-07: marks.py and number_reader.py).
    from pathlib import Path

    from hwr_desktop.devtools.mutation import EQUIVALENT
    root = Path(__file__).resolve().parents[1]
    named = set()
    for module in {m for m, _, _ in EQUIVALENT}:
        for m in mutants((root / module).read_text()):
            named |= {(module, m.line, m.what), (module, m.line, f"{m.what} @{m.col}")} & EQUIVALENT.keys()
    assert sorted(EQUIVALENT.keys() - named) == []
