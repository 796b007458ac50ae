"""The IR: abstract values, variables, literals, equations, jaxprs and the
``Primitive`` with its rule slots (DESIGN.md §2-3)."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.prims import elementwise as ew
from ftrans.check import JaxprTypeError
from ftrans.core import (ClosedJaxpr, Eqn, Jaxpr, Literal, Primitive, ShapedArray, Var,
                         get_aval)


@pytest.fixture
def make_prim():
    """Throwaway primitives, removed from the registry after the test (the
    coverage test asks every registered primitive for a table row)."""
    made = []

    def make(name, multiple_results=False):
        p = Primitive(name, multiple_results=multiple_results)
        made.append(name)
        return p

    yield make
    for name in made:
        Primitive.registry.pop(name, None)


# --- ShapedArray -------------------------------------------------------------------

def test_shaped_array_equality_normalizes_shape_and_dtype():
    a = ShapedArray((3, 4), np.float64)
    assert a == ShapedArray([3, 4], "float64")
    assert a == ShapedArray((np.int64(3), 4), np.dtype(np.float64))
    assert a != ShapedArray((4, 3), np.float64)
    assert a != ShapedArray((3, 4), np.float32)
    assert a != ShapedArray((3, 4, 1), np.float64)
    assert a != (3, 4)
    assert a != "f64[3,4]"


def test_shaped_array_hash_agrees_with_equality():
    a, b = ShapedArray((2,), np.int32), ShapedArray([2], "int32")
    assert hash(a) == hash(b)
    assert len({a, b, ShapedArray((2,), np.int64)}) == 2
    assert {a: "x"}[b] == "x"


@pytest.mark.parametrize("shape, dtype, text", [
    ((3,), np.float64, "f64[3]"),
    ((2, 3), np.float32, "f32[2,3]"),
    ((), np.int32, "i32[]"),
    ((4,), np.bool_, "bool[4]"),
    ((1, 0), np.int64, "i64[1,0]"),
    ((5,), np.complex128, "c128[5]"),
])
def test_shaped_array_str_short(shape, dtype, text):
    aval = ShapedArray(shape, dtype)
    assert aval.str_short() == text
    assert text in repr(aval)


def test_shaped_array_properties_and_update():
    a = ShapedArray((2, 3, 4), np.float64)
    assert (a.ndim, a.size) == (3, 24)
    assert ShapedArray((), np.float64).size == 1
    assert a.update(shape=(6, 4)) == ShapedArray((6, 4), np.float64)
    assert a.update(dtype=np.float32) == ShapedArray((2, 3, 4), np.float32)
    assert a == ShapedArray((2, 3, 4), np.float64)  # update does not mutate


@pytest.mark.parametrize("value, text", [
    (1.5, "f64[]"), (3, "i64[]"), (True, "bool[]"),
    (np.float32(2.0), "f32[]"), (np.zeros((2, 5)), "f64[2,5]"),
    ([1, 2, 3], "i64[3]"),
])
def test_get_aval_of_values(value, text):
    assert get_aval(value).str_short() == text


def test_get_aval_of_tracer_is_its_aval():
    seen = []
    ftrans.make_jaxpr(lambda x: seen.append(get_aval(x)) or x)(np.ones((2, 2), np.float32))
    assert seen == [ShapedArray((2, 2), np.float32)]


# --- Var, Literal, Eqn, Jaxpr, ClosedJaxpr -------------------------------------------

def test_vars_are_distinct_by_identity():
    aval = ShapedArray((3,), np.float64)
    a, b = Var(aval), Var(aval)
    assert a != b and a == a
    assert len({a, b}) == 2
    assert "f64[3]" in repr(a)
    lit = Literal(np.float64(2.0), ShapedArray((), np.float64))
    assert "2.0" in repr(lit)


def _hand_built_sin_mul():
    """{ lambda ; a:f64[3]. let b = sin a; c = mul b 2.0 in (c,) } by hand."""
    f64_3 = ShapedArray((3,), np.float64)
    a, b, c = Var(f64_3), Var(f64_3), Var(f64_3)
    two = Literal(np.float64(2.0), ShapedArray((), np.float64))
    eqns = [Eqn(ew.sin_p, [a], [b], {}), Eqn(ew.mul_p, [b, two], [c], {})]
    return Jaxpr([], [a], eqns, [c])


def test_hand_built_jaxpr_evaluates_prints_and_checks():
    jaxpr = _hand_built_sin_mul()
    closed = ClosedJaxpr(jaxpr, [])
    ftrans.check_jaxpr(closed)
    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(ftrans.eval_jaxpr(jaxpr, [], x)[0], 2 * np.sin(x))
    assert str(jaxpr) == str(ftrans.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(x))
    assert closed.in_avals == [ShapedArray((3,), np.float64)]
    assert closed.out_avals == [ShapedArray((3,), np.float64)]
    assert [e.primitive.name for e in closed.eqns] == ["sin", "mul"]


def test_built_jaxprs_are_checked_when_checks_are_enabled():
    # conftest enables checks: an ill-typed jaxpr cannot be handed over
    f64_3 = ShapedArray((3,), np.float64)
    a, b = Var(f64_3), Var(ShapedArray((4,), np.float64))
    bad = Jaxpr([], [a], [Eqn(ew.sin_p, [a], [b], {})], [b])
    with pytest.raises(JaxprTypeError):
        ftrans.core.built(ClosedJaxpr(bad, []))
    with pytest.raises(JaxprTypeError):  # a pass hands over what it builds
        ftrans.transforms.dce.dce_jaxpr(ClosedJaxpr(bad, []))


def test_traced_jaxpr_fields():
    c = np.arange(3.0)
    closed = ftrans.make_jaxpr(lambda x, y: (jnp.sin(x) * c, y))(np.ones(3), 2.0)
    jaxpr = closed.jaxpr
    assert len(jaxpr.invars) == 2 and len(jaxpr.constvars) == 1
    assert closed.consts[0] is c
    assert closed.out_avals == [ShapedArray((3,), np.float64), ShapedArray((), np.float64)]
    # an input returned as is is an outvar that is also an invar
    assert jaxpr.outvars[1] is jaxpr.invars[1]


# --- Primitive ------------------------------------------------------------------------

def test_primitive_eager_bind_returns_numpy(make_prim):
    p = make_prim("_test_core_double")
    p.def_impl(lambda x: 2 * x)
    p.def_abstract_eval(lambda x: x)
    out = p.bind(np.arange(3.0))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [0.0, 2.0, 4.0])
    out = p.bind(1.5)  # a Python scalar in, a 0-d numpy array out
    assert isinstance(out, np.ndarray) and out.shape == () and out == 3.0


def test_primitive_is_registered_and_has_empty_rule_slots(make_prim):
    p = make_prim("_test_core_slots")
    assert Primitive.registry["_test_core_slots"] is p
    assert p.jvp is None and p.transpose is None and p.batch is None
    assert repr(p) == "_test_core_slots"


@pytest.mark.parametrize("kind, words", [
    ("jvp", ["JVP"]), ("transpose", ["transpose"]), ("batch", ["vmap"]),
])
def test_missing_rule_names_primitive_and_transformation(make_prim, kind, words):
    p = make_prim("_test_core_norules")
    with pytest.raises(NotImplementedError) as e:
        p.rule(kind)
    assert "_test_core_norules" in str(e.value)
    for w in words:
        assert w in str(e.value)


def test_primitive_shape_rule_runs_eagerly_too(make_prim):
    p = make_prim("_test_core_vec_only")
    p.def_impl(lambda x: x)

    @p.def_abstract_eval
    def _abstract_eval(x):
        if x.ndim != 1:
            raise TypeError(f"_test_core_vec_only: expected a vector, got {x.str_short()}")
        return x

    p.bind(np.ones(3))
    with pytest.raises(TypeError, match=r"f64\[2,2\]"):
        p.bind(np.ones((2, 2)))


def test_multiple_results_primitive(make_prim):
    p = make_prim("_test_core_split", multiple_results=True)
    p.def_impl(lambda x: [x[:1], x[1:]])
    p.def_abstract_eval(lambda x: [ShapedArray((1,), x.dtype),
                                   ShapedArray((x.shape[0] - 1,), x.dtype)])
    a, b = p.bind(np.arange(4.0))
    assert isinstance(a, np.ndarray) and a.tolist() == [0.0] and b.tolist() == [1.0, 2.0, 3.0]
    closed = ftrans.make_jaxpr(lambda x: p.bind(x))(np.arange(4.0))
    assert closed.out_avals == [ShapedArray((1,), np.float64), ShapedArray((3,), np.float64)]
    assert len(closed.eqns) == 1 and len(closed.eqns[0].outputs) == 2
    outs = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, np.arange(4.0) + 1)
    assert [o.tolist() for o in outs] == [[1.0], [2.0, 3.0, 4.0]]


def test_impl_results_match_shape_rule_after_tracing(rng):
    x = rng.standard_normal((2, 3))
    closed = ftrans.make_jaxpr(lambda x: jnp.exp(jnp.sin(x)) * 3.0 + x)(x)
    outs = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x)
    assert [get_aval(o) for o in outs] == closed.out_avals
