"""Errors say what went wrong in the user's terms -- the operation, the
argument, the shape/dtype as ``f64[3]`` and the fix -- and leave no state
behind: after each error the next call works (DESIGN.md §6)."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.core import Primitive
from ftrans.prims import elementwise as ew
from ftrans.prims._families import def_linear
from ftrans.test_util import check_grads
from ftrans.tracing import current_trace_level


def _next_call_works():
    """Whatever failed before, tracing and differentiating work now."""
    assert current_trace_level() == 0
    assert isinstance(jnp.sin(np.ones(2)), np.ndarray)
    np.testing.assert_allclose(ftrans.grad(lambda x: jnp.sin(x) * x)(0.0), 0.0)
    closed = ftrans.make_jaxpr(lambda x: jnp.exp(x) * 2.0)(np.ones(3))
    assert [e.primitive.name for e in closed.eqns] == ["exp", "mul"]


@pytest.fixture
def make_prim():
    """Throwaway primitives, removed from the registry after the test (the
    coverage test asks every registered primitive for a table row)."""
    made = []

    def make(name):
        p = Primitive(name)
        made.append(name)
        return p

    yield make
    for name in made:
        Primitive.registry.pop(name, None)


# --- Python control flow and conversions on abstract values ---------------------------------

def _if_positive(x):
    if x > 0:
        return x
    return -x


@pytest.mark.parametrize("f, op", [
    (_if_positive, "bool"),
    (lambda x: x * float(x), "float(x)"),
    (lambda x: x * int(x), "int(x)"),
    (lambda x: x * x.item(), "x.item()"),
    (lambda x: x * bool(x), "bool(x)"),
    (lambda x: x if x else -x, "bool"),
])
def test_concretization_under_make_jaxpr(f, op):
    with pytest.raises(ftrans.ConcretizationError) as e:
        ftrans.make_jaxpr(f)(np.float64(1.5))
    msg = str(e.value)
    assert op in msg
    assert "make_jaxpr" in msg  # the transformation
    assert "ftrans.lax.cond" in msg and "static" in msg  # the fixes
    assert isinstance(e.value, TypeError)  # as JAX's ConcretizationTypeError
    _next_call_works()


def test_concretization_names_shape_and_dtype():
    with pytest.raises(ftrans.ConcretizationError, match=r"f32\[2,3\]"):
        ftrans.make_jaxpr(lambda x: float(x))(np.ones((2, 3), np.float32))
    with pytest.raises(ftrans.ConcretizationError, match=r"bool\[\]"):
        ftrans.make_jaxpr(_if_positive)(1.0)  # the comparison's result is tested
    _next_call_works()


@pytest.mark.parametrize("convert", [float, int, bool, lambda x: x.item()])
def test_the_same_conversions_work_under_grad_without_a_derivative(convert):
    # a concrete value whose derivative is cut on purpose is a constant to AD
    g = ftrans.grad(lambda x: x * convert(ftrans.stop_gradient(x)))(3.0)
    np.testing.assert_allclose(g, float(convert(np.float64(3.0))))


def test_numpy_on_a_tracer_is_a_clear_error():
    with pytest.raises(ftrans.ConcretizationError) as e:  # abstract
        ftrans.make_jaxpr(lambda x: np.asarray(x))(np.ones(3))
    assert isinstance(e.value, ftrans.ConcretizationError)
    assert "f64[3]" in str(e.value) and "ftrans.numpy" in str(e.value)
    _next_call_works()
    with pytest.raises(ftrans.ConcretizationError) as e:  # numpy would drop the derivative
        ftrans.grad(lambda x: np.asarray(x) * x)(1.0)
    assert "f64[]" in str(e.value) and "ftrans.numpy" in str(e.value)
    _next_call_works()


# --- leaked tracers -------------------------------------------------------------------------

@pytest.mark.parametrize("transform", ["make_jaxpr", "grad", "jvp"])
@pytest.mark.parametrize("use", ["jnp", "operator", "float", "asarray", "new_trace"])
def test_leaked_tracer_used_later(transform, use):
    leaked = []

    def f(x):
        leaked.append(x)
        return jnp.sin(x)

    x0 = np.ones(3) if transform != "grad" else 1.0
    if transform == "make_jaxpr":
        ftrans.make_jaxpr(f)(x0)
    elif transform == "grad":
        ftrans.grad(f)(x0)
    else:
        ftrans.jvp(f, (x0,), (x0,))
    (t,) = leaked
    uses = {
        "jnp": lambda: jnp.exp(t),
        "operator": lambda: t * 2.0,
        "float": lambda: float(t) if t.shape == () else t.item(),
        "asarray": lambda: np.asarray(t),
        "new_trace": lambda: ftrans.grad(lambda y: jnp.sum(y * t) if t.shape else y * t)(
            np.ones(t.shape)),
    }
    with pytest.raises(ftrans.TracerLeakError) as e:
        uses[use]()
    msg = str(e.value)
    assert f"`{transform}`" in msg and t.aval.str_short() in msg and "leak" in msg
    _next_call_works()


# --- mutation, shapes -----------------------------------------------------------------------

@pytest.mark.parametrize("idx, text", [(0, "x[0]"), ((0, 1), "x[0, 1]"),
                                       (slice(1, None), "x[slice(1, None, None)]")])
def test_inplace_update_points_to_at_set(idx, text):
    def f(x):
        x[idx] = 1.0
        return x

    with pytest.raises(TypeError) as e:
        ftrans.make_jaxpr(f)(np.ones((3, 3)))
    msg = str(e.value)
    assert ".at[" in msg and ".set(" in msg and "f64[3,3]" in msg and "immutable" in msg
    with pytest.raises(TypeError, match=r"\.at\["):
        ftrans.grad(lambda x: f(x)[0, 0])(np.ones((3, 3)))
    _next_call_works()


@pytest.mark.parametrize("where", ["eager", "make_jaxpr", "grad"])
def test_shape_mismatch_names_the_shapes(where):
    a, b = np.ones(3), np.ones(4)
    with pytest.raises((TypeError, ValueError)) as e:
        if where == "eager":
            jnp.add(a, b)
        elif where == "make_jaxpr":
            ftrans.make_jaxpr(jnp.add)(a, b)
        else:
            ftrans.grad(lambda x: jnp.add(x, b)[0])(a)
    msg = str(e.value)
    assert "add" in msg and "3" in msg and "4" in msg
    assert ("(3,)" in msg and "(4,)" in msg) or ("f64[3]" in msg and "f64[4]" in msg)
    _next_call_works()


def test_primitive_shape_rule_names_operation_and_types():
    with pytest.raises(TypeError) as e:
        ftrans.make_jaxpr(lambda x, y: lax.mul(x, y))(np.ones(3), np.ones((2, 3)))
    assert "mul" in str(e.value) and "f64[3]" in str(e.value) and "f64[2,3]" in str(e.value)
    with pytest.raises(TypeError) as e:
        lax.add(np.ones(2), np.ones(2, np.float32))
    assert "f64[2]" in str(e.value) and "f32[2]" in str(e.value) and "dtype" in str(e.value)
    _next_call_works()


# --- grad's contract ------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3,), (2, 2), (1,)])
def test_grad_of_non_scalar_output(shape):
    def loss(x):
        return jnp.sin(x)

    with pytest.raises(TypeError) as e:
        ftrans.grad(loss)(np.ones(shape))
    msg = str(e.value)
    aval = "f64[" + ",".join(map(str, shape)) + "]"
    assert aval in msg and "loss" in msg and "scalar" in msg
    assert "jacrev" in msg and "vjp" in msg
    _next_call_works()


def test_grad_of_integer_or_tuple_output():
    with pytest.raises(TypeError, match=r"bool\[\]"):
        ftrans.grad(lambda x: x > 0)(1.0)
    with pytest.raises(TypeError, match="tuple"):
        ftrans.grad(lambda x: (x, x))(1.0)
    _next_call_works()


@pytest.mark.parametrize("value, text", [(2, "i64[]"), (True, "bool[]"),
                                         (np.arange(3), "i64[3]"),
                                         (np.int32(1), "i32[]")])
@pytest.mark.parametrize("transform", [ftrans.grad, ftrans.jacrev, ftrans.jacfwd])
def test_differentiating_an_integer_argument(value, text, transform):
    def scale(x, n):
        return x * n

    with pytest.raises(TypeError) as e:
        transform(scale, argnums=1)(1.0, value)
    msg = str(e.value)
    assert "argument 1" in msg and "'n'" in msg and text in msg and "float" in msg
    # integer inputs are fine when not differentiated
    np.testing.assert_allclose(ftrans.grad(lambda x, n: jnp.sum(x * n) if np.ndim(n)
                                           else x * n)(1.0, value), np.sum(value))
    _next_call_works()


def test_grad_integer_input_inside_a_pytree():
    with pytest.raises(TypeError, match=r"argument 0 \('p'\).*i64\[\]"):
        ftrans.grad(lambda p: p["w"] * 1.0)({"w": 3})
    _next_call_works()


def test_grad_argnums_out_of_range_and_bad_aux():
    def loss(x):
        return x * 2.0

    with pytest.raises(TypeError, match=r"argnums.*1 positional"):
        ftrans.grad(loss, argnums=1)(1.0)
    with pytest.raises(TypeError) as e:
        ftrans.grad(loss, has_aux=True)(1.0)
    assert "loss" in str(e.value) and "has_aux" in str(e.value) and "pair" in str(e.value)
    with pytest.raises(TypeError, match="str"):
        ftrans.grad(lambda s: 1.0)("abc")
    with pytest.raises(TypeError, match=r"argnums=\(0, -2\).*twice"):
        ftrans.grad(lambda x, y: x * y, argnums=(0, -2))(1.0, 2.0)
    _next_call_works()


def test_tangent_and_cotangent_shape_mismatch():
    with pytest.raises(TypeError, match=r"f64\[4\].*f64\[3\]"):
        ftrans.jvp(jnp.sin, (np.ones(3),), (np.ones(4),))
    with pytest.raises(TypeError, match="structure"):
        ftrans.jvp(jnp.sin, (np.ones(3),), (np.ones(3), np.ones(3)))
    _, f_vjp = ftrans.vjp(jnp.sin, np.ones(3))
    with pytest.raises(TypeError, match=r"\(4,\).*\(3,\)"):
        f_vjp(np.ones(4))
    np.testing.assert_allclose(f_vjp(np.ones(3))[0], np.cos(np.ones(3)))
    _next_call_works()


# --- missing and wrong rules ----------------------------------------------------------------

def _twice(make_prim, name):
    p = make_prim(name)
    p.def_impl(lambda x: 2 * x)
    p.def_abstract_eval(lambda x: x)
    return p


@pytest.mark.parametrize("transform", ["grad", "jvp", "jacfwd", "jacrev", "linearize",
                                       "make_jaxpr(grad)"])
def test_primitive_without_jvp_rule(make_prim, transform):
    p = _twice(make_prim, "_test_err_nojvp")
    f = lambda x: jnp.sin(p.bind(x))  # noqa: E731
    calls = {
        "grad": lambda: ftrans.grad(f)(1.0),
        "jvp": lambda: ftrans.jvp(f, (1.0,), (1.0,)),
        "jacfwd": lambda: ftrans.jacfwd(f)(1.0),
        "jacrev": lambda: ftrans.jacrev(f)(1.0),
        "linearize": lambda: ftrans.linearize(f, 1.0),
        "make_jaxpr(grad)": lambda: ftrans.make_jaxpr(ftrans.grad(f))(1.0),
    }
    with pytest.raises(NotImplementedError) as e:
        calls[transform]()
    msg = str(e.value)
    assert "_test_err_nojvp" in msg and "JVP" in msg and "jvp rule" in msg
    assert not isinstance(e.value, KeyError)
    # the primitive still runs and traces; only differentiation needs the rule
    assert float(f(1.0)) == np.sin(2.0)
    assert len(ftrans.make_jaxpr(f)(1.0).eqns) == 2
    _next_call_works()


@pytest.mark.parametrize("transform", ["grad", "vjp", "jacrev", "linear_transpose"])
def test_primitive_without_transpose_rule(make_prim, transform):
    p = _twice(make_prim, "_test_err_notranspose")
    def_linear(p)  # a JVP, but no transpose
    f = lambda x: p.bind(x) * 3.0  # noqa: E731
    calls = {
        "grad": lambda: ftrans.grad(f)(1.0),
        "vjp": lambda: ftrans.vjp(f, 1.0)[1](1.0),
        "jacrev": lambda: ftrans.jacrev(f)(1.0),
        "linear_transpose": lambda: ftrans.linear_transpose(f, 1.0)(1.0),
    }
    with pytest.raises(NotImplementedError) as e:
        calls[transform]()
    msg = str(e.value)
    assert "_test_err_notranspose" in msg and "transpose" in msg
    # forward mode needs no transpose; jacfwd batches the JVP over the basis,
    # so it needs the batch rule, and says so
    np.testing.assert_allclose(ftrans.jvp(f, (1.0,), (1.0,))[1], 6.0)
    with pytest.raises(NotImplementedError, match="_test_err_notranspose.*batch rule.*jacfwd"):
        ftrans.jacfwd(f)(1.0)
    p.def_batch(lambda axis_size, args, dims: (p.bind(*args), dims[0]))
    np.testing.assert_allclose(ftrans.jacfwd(f)(1.0), 6.0)
    _next_call_works()


def _sin_like(make_prim, name, factor):
    """sin with a JVP scaled by ``factor`` (1: right, anything else: wrong)."""
    p = make_prim(name)
    p.def_impl(np.sin)
    p.def_abstract_eval(lambda x: x)

    @p.def_jvp
    def _jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        t = ew.mul(x_dot, ew.cos(x))
        for _ in range(factor - 1):
            t = ew.add(t, ew.mul(x_dot, ew.cos(x)))
        return p.bind(x), t

    return p


@pytest.mark.parametrize("modes", [("fwd",), ("rev",), ("fwd", "rev")])
def test_check_grads_catches_a_wrong_jvp_rule(make_prim, modes):
    x = np.array([0.3, -1.1, 2.0])
    good = _sin_like(make_prim, "_test_err_good_sin", factor=1)
    check_grads(lambda x: good.bind(x), (x,), order=1, modes=modes)
    bad = _sin_like(make_prim, "_test_err_bad_sin", factor=2)
    with pytest.raises(AssertionError):
        check_grads(lambda x: bad.bind(x), (x,), order=1, modes=modes)
    with pytest.raises(AssertionError):  # also inside a composite
        check_grads(lambda x: jnp.exp(bad.bind(x)) * x, (x,), order=1, modes=modes)
    _next_call_works()


def test_check_grads_catches_a_wrong_transpose_rule(make_prim):
    p = make_prim("_test_err_triple")
    p.def_impl(lambda x: 3 * x)
    p.def_abstract_eval(lambda x: x)
    def_linear(p)
    p.def_transpose(lambda ct, x: [ew.add(ct, ct)])  # wrong: should be 3 ct
    x = np.array([0.5, 1.5])
    check_grads(lambda x: p.bind(x), (x,), order=1, modes=("fwd",))
    with pytest.raises(AssertionError):
        check_grads(lambda x: p.bind(x), (x,), order=1, modes=("rev",))
    _next_call_works()


def test_linear_transpose_of_a_nonlinear_function_says_so():
    for f in (lambda x: x * x, lambda x: 1.0 / x, lambda x: jnp.dot(x, x)):
        with pytest.raises(TypeError, match="not linear"):
            ftrans.linear_transpose(f, np.ones(3))(np.ones(3) if f(np.ones(3)).shape else 1.0)
    assert ftrans.linear_transpose(lambda x: 2.0 * x, 1.0)(1.0) == (2.0,)


def test_concretization_under_make_jaxpr_of_grad_names_make_jaxpr():
    with pytest.raises(ftrans.ConcretizationError, match=r"under `make_jaxpr`.*`grad`"):
        ftrans.make_jaxpr(ftrans.grad(lambda x: x if x > 0 else -x))(1.0)
    assert ftrans.grad(lambda x: x if x > 0 else -x)(-2.0) == -1.0
