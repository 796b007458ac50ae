"""``check_jaxpr`` accepts what tracing and the transformations build, and
rejects hand-built jaxprs that break single assignment or the shape rules."""

import numpy as np
import pytest

import ftrans
import ftrans.core
import ftrans.numpy as jnp
from ftrans.check import JaxprTypeError, check_jaxpr
from ftrans.core import ClosedJaxpr, Eqn, Jaxpr, Literal, Primitive, ShapedArray, Var
from ftrans.prims import elementwise as ew

F64_3 = ShapedArray((3,), np.float64)
F64 = ShapedArray((), np.float64)


@pytest.fixture(autouse=True)
def _checks_off():
    """These tests build bad jaxprs on purpose: check them explicitly instead
    of when they are closed."""
    saved = list(ftrans.core.build_hooks)
    ftrans.core.build_hooks.clear()
    yield
    ftrans.core.build_hooks[:] = saved


def _lit(v):
    return Literal(np.float64(v), F64)


@pytest.mark.parametrize("f, args", [
    (lambda x: jnp.sin(x) * 2.0, (np.ones(3),)),
    (lambda x, y: (x * y + jnp.exp(x), y), (np.ones((2, 3)), np.ones((2, 3)))),
    (lambda x: x > 0.0, (np.ones(2),)),
    (lambda x, n: x * n, (np.ones(3), np.int64(2))),
    (lambda x: x, (1.0,)),
    (lambda: 1.0, ()),
])
def test_accepts_traced_jaxprs(f, args):
    closed = ftrans.make_jaxpr(f)(*args)
    check_jaxpr(closed)
    check_jaxpr(closed.jaxpr)


def test_accepts_jaxprs_with_constvars():
    c = np.arange(3.0)
    check_jaxpr(ftrans.make_jaxpr(lambda x: jnp.sin(x) * c + c)(np.ones(3)))


def test_accepts_jaxprs_of_transformations():
    f = lambda x: jnp.sin(x) * x  # noqa: E731
    check_jaxpr(ftrans.make_jaxpr(ftrans.grad(f))(1.0))
    check_jaxpr(ftrans.make_jaxpr(ftrans.grad(ftrans.grad(f)))(1.0))
    check_jaxpr(ftrans.make_jaxpr(lambda x: ftrans.jvp(f, (x,), (1.0,)))(1.0))


def test_accepts_hand_built_good_jaxpr():
    a, b, c = Var(F64_3), Var(F64_3), Var(F64_3)
    jaxpr = Jaxpr([], [a], [Eqn(ew.sin_p, [a], [b], {}),
                            Eqn(ew.mul_p, [b, _lit(2.0)], [c], {})], [c])
    check_jaxpr(jaxpr)
    check_jaxpr(ClosedJaxpr(jaxpr, []))


def test_rejects_variable_used_before_definition():
    a, b, c = Var(F64_3), Var(F64_3), Var(F64_3)
    # c is read by the first equation but only defined by the second
    jaxpr = Jaxpr([], [a], [Eqn(ew.mul_p, [a, c], [b], {}),
                            Eqn(ew.sin_p, [a], [c], {})], [b])
    with pytest.raises(JaxprTypeError, match="before definition"):
        check_jaxpr(jaxpr)


def test_rejects_undefined_output():
    a, b = Var(F64_3), Var(F64_3)
    with pytest.raises(JaxprTypeError, match="outputs"):
        check_jaxpr(Jaxpr([], [a], [], [b]))


def test_rejects_variable_bound_twice_by_equations():
    a, b = Var(F64_3), Var(F64_3)
    jaxpr = Jaxpr([], [a], [Eqn(ew.sin_p, [a], [b], {}),
                            Eqn(ew.cos_p, [a], [b], {})], [b])
    with pytest.raises(JaxprTypeError, match="bound twice"):
        check_jaxpr(jaxpr)


@pytest.mark.parametrize("where", ["invar", "constvar-and-invar", "output-of-invar"])
def test_rejects_variable_bound_twice_by_binders(where):
    a, b = Var(F64_3), Var(F64_3)
    if where == "invar":
        jaxpr = Jaxpr([], [a, a], [], [a])
    elif where == "constvar-and-invar":
        jaxpr = Jaxpr([a], [a], [], [a])
    else:  # an equation writes into an input
        jaxpr = Jaxpr([], [a, b], [Eqn(ew.sin_p, [a], [b], {})], [b])
    with pytest.raises(JaxprTypeError, match="bound twice"):
        check_jaxpr(jaxpr)


@pytest.mark.parametrize("bad_out", [
    ShapedArray((4,), np.float64),   # wrong shape
    ShapedArray((3,), np.float32),   # wrong dtype
    ShapedArray((), np.float64),     # wrong rank
])
def test_rejects_wrong_output_aval(bad_out):
    a, b = Var(F64_3), Var(bad_out)
    jaxpr = Jaxpr([], [a], [Eqn(ew.sin_p, [a], [b], {})], [b])
    with pytest.raises(JaxprTypeError) as e:
        check_jaxpr(jaxpr)
    msg = str(e.value)
    assert "sin" in msg and bad_out.str_short() in msg and "f64[3]" in msg


def test_rejects_inputs_the_shape_rule_refuses():
    a, b, c = Var(F64_3), Var(ShapedArray((4,), np.float64)), Var(F64_3)
    jaxpr = Jaxpr([], [a, b], [Eqn(ew.add_p, [a, b], [c], {})], [c])
    with pytest.raises(TypeError, match=r"f64\[3\].*f64\[4\]"):
        check_jaxpr(jaxpr)


def test_rejects_non_scalar_literal():
    a, b = Var(F64_3), Var(F64_3)
    lit = Literal(np.ones(3), F64_3)
    jaxpr = Jaxpr([], [a], [Eqn(ew.mul_p, [a, lit], [b], {})], [b])
    with pytest.raises(JaxprTypeError, match="rank 0"):
        check_jaxpr(jaxpr)


def test_rejects_wrong_number_of_consts():
    a, b = Var(F64_3), Var(F64_3)
    jaxpr = Jaxpr([a], [b], [], [b])
    with pytest.raises(JaxprTypeError, match="consts"):
        check_jaxpr(ClosedJaxpr(jaxpr, []))


def test_rejects_const_of_the_wrong_type():
    a, b = Var(F64_3), Var(F64_3)
    jaxpr = Jaxpr([a], [b], [], [b])
    check_jaxpr(ClosedJaxpr(jaxpr, [np.zeros(3)]))
    with pytest.raises(JaxprTypeError, match=r"f32\[3\].*f64\[3\]"):
        check_jaxpr(ClosedJaxpr(jaxpr, [np.zeros(3, np.float32)]))
    with pytest.raises(JaxprTypeError, match=r"f64\[4\]"):
        check_jaxpr(ClosedJaxpr(jaxpr, [np.zeros(4)]))


def test_rejects_binder_that_is_not_a_var():
    a = Var(F64_3)
    jaxpr = Jaxpr([], [a], [Eqn(ew.sin_p, [a], [Literal(np.ones(3), F64_3)], {})], [a])
    with pytest.raises(JaxprTypeError, match="not a Var"):
        check_jaxpr(jaxpr)


def test_checks_sub_jaxprs_in_params():
    a, b = Var(F64_3), Var(ShapedArray((4,), np.float64))
    bad_inner = ClosedJaxpr(Jaxpr([], [a], [Eqn(ew.sin_p, [a], [b], {})], [b]), [])
    call_p = Primitive("_test_check_call")
    try:
        call_p.def_impl(lambda x, jaxpr: x)
        call_p.def_abstract_eval(lambda x, jaxpr: x)
        x, y = Var(F64_3), Var(F64_3)
        outer = Jaxpr([], [x], [Eqn(call_p, [x], [y], {"jaxpr": bad_inner})], [y])
        with pytest.raises(JaxprTypeError, match="sin"):
            check_jaxpr(outer)
        # and in a tuple of sub-jaxprs (as cond's branches)
        outer = Jaxpr([], [x], [Eqn(call_p, [x], [y], {"jaxpr": (bad_inner,)})], [y])
        with pytest.raises(JaxprTypeError, match="sin"):
            check_jaxpr(outer)
    finally:
        Primitive.registry.pop("_test_check_call", None)


def test_enable_checks_rejects_bad_jaxprs_when_built():
    a, b = Var(F64_3), Var(F64_3)
    bad = ClosedJaxpr(Jaxpr([], [a], [], [b]), [])
    ftrans.core.built(bad)  # no check installed: handed over as is
    with ftrans.check.enable_checks():
        with pytest.raises(JaxprTypeError):
            ftrans.core.built(bad)
    assert ftrans.core.build_hooks == []
