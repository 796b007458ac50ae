"""The coverage gate: every primitive of the library has a row in the table
(``tests/prim_table``), the rules its kind requires, an impl that generated
code can name, and its functional form in ``ftrans.lax``. An
exception is a named waiver with its reason; a waiver that no longer applies
fails, so that it is removed.

Only the library's primitives count (those declared in ``ftrans/``):
throwaway primitives of tests and doctests never ask for a row.
"""

import sys

import numpy as np
import pytest

import ftrans  # noqa: F401  (registers every primitive)
import ftrans.lax
from ftrans.core import Primitive
from tests.prim_table import all_cases

# --- which rules a primitive must have ------------------------------------------------

EVERY = "every primitive"
LINEAR = "linear primitives"  # those with a table row that has linear_args
TRACKED = "optional, tracked"  # reported (as a skip) until it becomes required

# One entry per rule slot of Primitive (Primitive.RULES). When vmap lands,
# "batch" becomes EVERY: a one-line change, with RULE_WAIVERS["batch"] for the
# primitives that may go without.
SLOTS = {
    "impl": EVERY,
    "abstract_eval": EVERY,
    "jvp": EVERY,
    "transpose": LINEAR,
    "batch": EVERY,  # vmap (issue 10): every primitive batches
    "emit": TRACKED,  # stays optional: without it, jit's code generation calls impl
    "cost": TRACKED,  # optional: without it, cost analysis counts 0 flops (bytes only)
}

# rule slot -> {primitive name: why it may lack that rule}
RULE_WAIVERS: dict[str, dict[str, str]] = {
    "jvp": {
        "custom_lin": "the linear part of a custom_vjp_call: it exists only between "
                      "linearizing and transposing, and custom_vjp has no forward "
                      "mode by design",
    },
    "batch": {},
}

# primitive name -> why it has no row in the table
ROW_WAIVERS: dict[str, str] = {
    "custom_lin": "exists only between linearizing and transposing a custom_vjp_call "
                  "(its impl raises by design: custom_vjp has no forward mode); its "
                  "transpose runs the user's bwd and is tested through custom_vjp in "
                  "tests/test_custom_derivatives.py",
}

# primitive name -> why its impl has no name that generated code can import
UNNAMED_IMPL_WAIVERS: dict[str, str] = {}


def library_primitives() -> dict:
    """The registered primitives declared in the ftrans package."""
    return {name: p for name, p in Primitive.registry.items() if p.in_library}


LIBRARY = library_primitives()
CASES = all_cases()


def _linear_primitives() -> set:
    return {c.prim for c in CASES if c.linear_args}


def _required(slot) -> set:
    kind = SLOTS[slot]
    if kind == EVERY:
        return set(LIBRARY)
    if kind == LINEAR:
        return _linear_primitives() & set(LIBRARY)
    return set()


def _missing(slot) -> list:
    return sorted(n for n, p in LIBRARY.items() if getattr(p, slot) is None)


def test_the_slot_table_knows_every_rule_slot():
    assert set(SLOTS) == set(Primitive.RULES), \
        "give every rule slot of Primitive.RULES a line in SLOTS"
    assert set(SLOTS.values()) <= {EVERY, LINEAR, TRACKED}
    assert set(RULE_WAIVERS) <= set(SLOTS)


@pytest.mark.parametrize("slot", sorted(SLOTS))
def test_rule_slot(slot):
    waived = RULE_WAIVERS.get(slot, {})
    missing = [n for n in _missing(slot) if n not in waived]
    if SLOTS[slot] == TRACKED:
        if missing:
            pytest.skip(f"{slot} rules are optional today: {len(LIBRARY) - len(missing)} "
                        f"of {len(LIBRARY)} primitives have one (missing: "
                        f"{', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''})")
        return
    required = [n for n in missing if n in _required(slot)]
    assert not required, (f"{SLOTS[slot]} need a {slot} rule (def_{slot}); these have "
                          f"none: {required}")


@pytest.mark.parametrize("slot", sorted(RULE_WAIVERS))
def test_rule_waivers_are_current(slot):
    waived = RULE_WAIVERS[slot]
    assert set(waived) <= set(LIBRARY), f"waivers for unknown primitives: {waived}"
    stale = sorted(n for n in waived if getattr(LIBRARY[n], slot) is not None)
    assert not stale, (f"these primitives have a {slot} rule now; remove their "
                       f"waivers: {stale}")


def test_every_primitive_has_a_row():
    covered = {c.prim for c in CASES}
    missing = sorted(set(LIBRARY) - covered - set(ROW_WAIVERS))
    assert not missing, f"primitives without a row in tests/prim_table: {missing}"


def test_row_waivers_are_for_real_primitives_without_rows():
    assert set(ROW_WAIVERS) <= set(LIBRARY)
    assert not set(ROW_WAIVERS) & {c.prim for c in CASES}, "a waived primitive has a row"


# --- impls that generated code (and a profile) can name --------------------------------

def _importable_name(f):
    """``module.qualname`` under which ``f`` can be imported, or None."""
    if isinstance(f, np.ufunc):
        return f"numpy.{f.__name__}" if getattr(np, f.__name__, None) is f else None
    module, qualname = getattr(f, "__module__", None), getattr(f, "__qualname__", "")
    if module is None or "<" in qualname:  # a lambda or a closure
        return None
    target = sys.modules.get(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return f"{module}.{qualname}" if target is f else None


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_impl_is_a_named_module_level_function(name):
    if name in UNNAMED_IMPL_WAIVERS:
        pytest.skip(UNNAMED_IMPL_WAIVERS[name])
    impl = LIBRARY[name].impl
    assert _importable_name(impl) is not None, (
        f"the impl of '{name}' ({impl!r}) is not a module-level function: give it a "
        "name (def _name_impl(...)) so that generated code and profiles can name it")


def test_unnamed_impl_waivers_are_current():
    named = sorted(n for n in UNNAMED_IMPL_WAIVERS if _importable_name(LIBRARY[n].impl))
    assert not named, f"these impls have names now; remove their waivers: {named}"


# --- the functional forms are exported --------------------------------------------------

PRIM_MODULES = [sys.modules[f"ftrans.prims.{m}"] for m in
                ("elementwise", "reductions", "shape", "sorting", "linalg", "control",
                 "special", "special_functions")]


@pytest.mark.parametrize("module", PRIM_MODULES, ids=lambda m: m.__name__)
def test_the_functional_forms_are_in_lax(module):
    # elementwise, reductions, shape, sorting and linalg compute their __all__
    # (_families.exports: every public function they define); ftrans.lax
    # re-exports it, and names the functions of control and special one by one
    missing = [n for n in module.__all__ if getattr(ftrans.lax, n, None) is not
               getattr(module, n)]
    assert not missing, f"ftrans.lax does not export {missing} of {module.__name__}"


# --- the registry ------------------------------------------------------------------------

def test_a_duplicate_name_raises_and_names_the_first_definition():
    with pytest.raises(ValueError, match=r"'exp' already exists .*elementwise\.py:\d+"):
        Primitive("exp")
    assert Primitive.registry["exp"] is sys.modules["ftrans.prims.elementwise"].exp_p


def test_unregister_frees_the_name():
    p = Primitive("_test_coverage_throwaway")
    assert not p.in_library and p.defined_at.startswith(__file__)
    p.unregister()
    assert "_test_coverage_throwaway" not in Primitive.registry
    Primitive("_test_coverage_throwaway")  # the name is free again (conftest removes it)


def test_library_primitives_are_declared_in_their_modules():
    sites = {name: p.defined_at for name, p in LIBRARY.items()}
    assert sites["exp"].startswith("ftrans/prims/elementwise.py:")
    assert sites["reduce_max"].startswith("ftrans/prims/reductions.py:")  # via a factory
    assert all(site.startswith("ftrans/") for site in sites.values()), sites
