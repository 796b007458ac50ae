"""ftrans.vmap: in_axes / out_axes pytrees, axis_size, chunking, nesting with
every transformation, control flow with batched predicates, and errors.
Every result is compared with a Python loop over the examples, stacked."""

import dataclasses
import tracemalloc

import numpy as np
import pytest

import ftrans
import ftrans.lax as lax
import ftrans.numpy as jnp
from ftrans.tree_util import register_dataclass


def loop(f, *args, in_axes=0, out_axis=0):
    """The reference: ``f`` on each example, results stacked along ``out_axis``."""
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    n = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    outs = []
    for b in range(n):
        ex = [a if ax is None else np.take(a, b, axis=ax) for a, ax in zip(args, axes)]
        outs.append(f(*ex))
    return ftrans.tree_util.tree_map(lambda *xs: np.stack(xs, out_axis), *outs)


def close(a, b, tol=1e-13):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


X = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
Y = np.linspace(0.5, 2.0, 12).reshape(3, 4)


def f_elem(x, y):
    return jnp.sin(x) * y + jnp.exp(-x * x)


# --- in_axes / out_axes ----------------------------------------------------------------

IN_AXES_CASES = [  # (in_axes, x, y): each mapped axis has size 3 or 4
    (0, X, Y), (1, X, Y), (-1, X, Y), ((0, None), X, Y[0]), ((None, 1), X[:, 0], Y),
    ((1, 0), X, Y.T), ([0, 1], X, Y.T),
]


@pytest.mark.parametrize("in_axes,x,y", IN_AXES_CASES)
def test_in_axes_ints_none_negative_and_lists(in_axes, x, y):
    ia = tuple(in_axes) if isinstance(in_axes, list) else in_axes
    axes = ia if isinstance(ia, tuple) else (ia, ia)
    axes = tuple(None if a is None else a % 2 for a in axes)
    got = ftrans.vmap(f_elem, in_axes=in_axes)(x, y)
    close(got, loop(f_elem, x, y, in_axes=axes))


@pytest.mark.parametrize("out_axes", [0, 1, -1])
def test_out_axes(out_axes):
    got = ftrans.vmap(f_elem, out_axes=out_axes)(X, Y)
    close(got, loop(f_elem, X, Y, out_axis=out_axes % 2))


def test_pytree_in_axes_and_out_axes():
    def f(p, x):
        return {"lin": p["w"] * x + p["b"], "sq": (x * x, p["w"])}

    p = {"w": np.array([1.0, 2.0, 3.0]), "b": np.array(0.5)}
    xs = np.arange(12.0).reshape(4, 3)
    got = ftrans.vmap(f, in_axes=({"w": None, "b": None}, 0),
                      out_axes={"lin": 1, "sq": (0, None)})(p, xs)
    want = loop(lambda x: f(p, x), xs)
    close(got["lin"], want["lin"].T)
    close(got["sq"][0], want["sq"][0])
    close(got["sq"][1], p["w"])  # out_axes=None on an unbatched output: returned once


def test_dataclass_arguments_and_prefix():
    @register_dataclass
    @dataclasses.dataclass
    class Params:
        w: np.ndarray
        b: np.ndarray

    ps = Params(w=np.arange(6.0).reshape(3, 2), b=np.arange(3.0))
    got = ftrans.vmap(lambda p, x: jnp.sum(p.w * x) + p.b, in_axes=(0, None))(
        ps, np.array([1.0, -1.0]))
    close(got, ps.w @ np.array([1.0, -1.0]) + ps.b)


def test_keyword_arguments_are_mapped_along_axis_0():
    got = ftrans.vmap(lambda x, *, scale: x * scale)(X, scale=Y)
    close(got, X * Y)


def test_axis_size_without_mapped_arguments_broadcasts():
    got = ftrans.vmap(lambda x: x * 2.0, in_axes=None, axis_size=5)(np.array([1.0, 2.0]))
    close(got, np.tile([2.0, 4.0], (5, 1)))


def test_an_output_independent_of_the_batch_is_broadcast():
    got = ftrans.vmap(lambda x: (x, jnp.sum(Y)))(X)
    close(got[1], np.full(3, Y.sum()))
    got = ftrans.vmap(lambda x: (x, jnp.sum(Y)), out_axes=(0, None))(X)
    close(got[1], Y.sum())


def test_unmapped_arguments_are_concrete():
    def f(x, flag):
        return x * 2.0 if flag > 0 else x  # Python control flow on an unmapped value

    close(ftrans.vmap(f, in_axes=(0, None))(X, 1.0), X * 2.0)
    close(ftrans.vmap(f, in_axes=(0, None))(X, -1.0), X)


# --- chunking ----------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 100])
def test_chunking_gives_identical_results(chunk):
    xs = np.linspace(0.0, 1.0, 10 * 4).reshape(10, 4)
    full = ftrans.vmap(f_elem, in_axes=(0, None))(xs, Y[0])
    chunked = ftrans.vmap(f_elem, in_axes=(0, None), chunk_size=chunk)(xs, Y[0])
    np.testing.assert_array_equal(full, chunked)
    both = ftrans.vmap(lambda x: (x * 2.0, jnp.sum(Y)), chunk_size=chunk)(xs)
    np.testing.assert_array_equal(both[1], np.full(10, Y.sum()))


def test_chunking_bounds_memory():
    xs = np.ones((64, 1))
    big = np.ones(100_000)

    def f(x):  # each example builds a 100,000-element intermediate
        return jnp.sum(jnp.sin(big * x))

    def peak(**kw):
        f_v = ftrans.vmap(f, **kw)
        f_v(xs)  # warm the caches
        tracemalloc.start()
        out = f_v(xs)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top, out

    top_full, out_full = peak()
    top_chunk, out_chunk = peak(chunk_size=4)
    np.testing.assert_array_equal(out_full, out_chunk)
    per_example = big.nbytes
    assert top_full > 32 * per_example  # the whole batch at once
    assert top_chunk < 16 * per_example  # a few chunks' worth, not 64 examples


def test_jacobians_take_chunk_size():
    f = lambda x: jnp.tanh(x) * jnp.sum(x)  # noqa: E731
    x = np.linspace(-1.0, 1.0, 7)
    for jac in (ftrans.jacfwd, ftrans.jacrev):
        np.testing.assert_array_equal(jac(f)(x), jac(f, chunk_size=3)(x))
    np.testing.assert_array_equal(ftrans.hessian(lambda x: jnp.sum(jnp.sin(x) ** 3))(x),
                                  ftrans.hessian(lambda x: jnp.sum(jnp.sin(x) ** 3),
                                                 chunk_size=2)(x))


# --- nesting ----------------------------------------------------------------------------

def loss(w, x):
    return jnp.sum(jnp.tanh(x @ w) ** 2)


W = np.linspace(-0.5, 0.5, 12).reshape(4, 3)
XS = np.linspace(-1.0, 1.0, 20).reshape(5, 4)


def test_vmap_of_vmap():
    a = np.arange(24.0).reshape(2, 3, 4) / 10
    got = ftrans.vmap(ftrans.vmap(jnp.sin, in_axes=1), in_axes=2)(a)
    close(got, np.sin(a).transpose(2, 1, 0))


def test_per_example_gradients():
    got = ftrans.vmap(ftrans.grad(loss), in_axes=(None, 0))(W, XS)
    close(got, loop(lambda x: ftrans.grad(loss)(W, x), XS))


def test_grad_of_vmap():
    got = ftrans.grad(lambda w: jnp.sum(ftrans.vmap(loss, in_axes=(None, 0))(w, XS)))(W)
    close(got, sum(ftrans.grad(loss)(W, x) for x in XS))


def test_jacfwd_of_vmap_and_vmap_of_jacrev_and_hessian():
    f = lambda x: jnp.sin(x) * jnp.sum(x ** 2)  # noqa: E731
    xs = XS[:, :3]
    close(ftrans.vmap(ftrans.jacrev(f))(xs), loop(ftrans.jacrev(f), xs))
    close(ftrans.vmap(ftrans.hessian(lambda x: jnp.sum(jnp.sin(x) ** 3)))(xs),
          loop(ftrans.hessian(lambda x: jnp.sum(jnp.sin(x) ** 3)), xs))
    got = ftrans.jacfwd(ftrans.vmap(f))(xs)
    assert got.shape == xs.shape + xs.shape
    for b in range(xs.shape[0]):
        close(got[b, :, b, :], ftrans.jacfwd(f)(xs[b]))


def test_vmap_of_custom_rules_and_stop_gradient_and_checkpoint():
    @ftrans.custom_jvp
    def softplus(x):
        return jnp.log1p(jnp.exp(x))

    @softplus.defjvp
    def _softplus_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return softplus(x), t / (1 + jnp.exp(-x))

    @ftrans.custom_vjp
    def clip_grad(x):
        return x

    clip_grad.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -0.1, 0.1),))

    xs = np.linspace(-2.0, 2.0, 6)
    close(ftrans.vmap(softplus)(xs), np.log1p(np.exp(xs)))
    close(ftrans.vmap(ftrans.grad(softplus))(xs), 1 / (1 + np.exp(-xs)))
    close(ftrans.vmap(ftrans.grad(lambda x: clip_grad(x) * 3.0))(xs), np.full(6, 0.1))
    close(ftrans.vmap(ftrans.grad(lambda x: x * lax.stop_gradient(x)))(xs), xs)
    close(ftrans.vmap(ftrans.grad(ftrans.checkpoint(lambda x: jnp.sin(x) ** 2)))(xs),
          np.sin(2 * xs))


# --- control flow -----------------------------------------------------------------------

def test_cond_with_unbatched_and_batched_predicates():
    def f(p, x):
        return lax.cond(p > 0, lambda u: jnp.sin(u), lambda u: u * 3.0, x)

    xs = np.linspace(-1.0, 1.0, 5)
    close(ftrans.vmap(f, in_axes=(None, 0))(1.0, xs), np.sin(xs))
    ps = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    close(ftrans.vmap(f)(ps, xs), np.where(ps > 0, np.sin(xs), xs * 3.0))
    close(ftrans.vmap(ftrans.grad(f, argnums=1))(ps, xs),
          np.where(ps > 0, np.cos(xs), 3.0))


def test_switch_with_a_batched_index():
    branches = [lambda u: u + 1.0, lambda u: u * 2.0, lambda u: -u]
    idx = np.array([0, 1, 2, 1])
    xs = np.arange(4.0)
    got = ftrans.vmap(lambda i, x: lax.switch(i, branches, x))(idx, xs)
    close(got, [branches[i](x) for i, x in zip(idx, xs)])


def test_scan_with_batched_carry_and_xs():
    def f(h0, xs):
        def step(h, x):
            h = jnp.tanh(h * 0.5 + x)
            return h, h * 2.0
        return lax.scan(step, h0, xs)

    h0s = np.linspace(-1.0, 1.0, 3)
    xss = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    got = ftrans.vmap(f)(h0s, xss)
    want = loop(f, h0s, xss)
    close(got[0], want[0])
    close(got[1], want[1])
    # only xs batched: the carry becomes batched (fixed point)
    got = ftrans.vmap(f, in_axes=(None, 0))(0.3, xss)
    want = loop(lambda xs: f(0.3, xs), xss)
    close(got[0], want[0])
    close(ftrans.vmap(ftrans.grad(lambda h, xs: jnp.sum(f(h, xs)[1])))(h0s, xss),
          loop(ftrans.grad(lambda h, xs: jnp.sum(f(h, xs)[1])), h0s, xss))


def test_while_loop_with_a_batched_predicate():
    def f(x):  # halve until below 1: a different trip count per example
        return lax.while_loop(lambda c: c[0] >= 1.0, lambda c: (c[0] / 2.0, c[1] + 1),
                              (x, 0))

    xs = np.array([0.5, 3.0, 17.0, 1.0])
    got = ftrans.vmap(f)(xs)
    want = loop(f, xs)
    close(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    # a batched carry with an unbatched predicate
    g = lambda x: lax.fori_loop(0, 3, lambda i, c: c * 2.0 + i, x)  # noqa: E731
    close(ftrans.vmap(g)(xs), loop(g, xs))


def test_python_if_on_a_batched_value_names_vmap():
    with pytest.raises(ftrans.ConcretizationError, match="vmap"):
        ftrans.vmap(lambda x: x if x > 0 else -x)(np.arange(3.0))


# --- errors ---------------------------------------------------------------------------------

def test_mismatched_batch_sizes_list_each_argument():
    def f(weights, inputs):
        return weights * inputs

    with pytest.raises(ValueError) as e:
        ftrans.vmap(f)(np.ones(3), np.ones((4, 2)))
    msg = str(e.value)
    assert "inconsistent sizes" in msg
    assert "argument weights of type f64[3]" in msg and "size 3" in msg
    assert "argument inputs of type f64[4,2]" in msg and "size 4" in msg


def test_in_axes_out_of_range():
    with pytest.raises(ValueError, match="in_axes=2 .*argument x of type f64\\[3,4\\].*out of range"):
        ftrans.vmap(lambda x: x, in_axes=2)(X)
    with pytest.raises(ValueError, match="scalar"):
        ftrans.vmap(lambda x: x)(1.0)


def test_in_axes_tree_not_matching_the_arguments():
    with pytest.raises(ValueError, match="one entry per positional argument"):
        ftrans.vmap(lambda x, y: x, in_axes=(0,))(X, X)
    with pytest.raises(ValueError, match="does not match"):
        ftrans.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": X})
    with pytest.raises(TypeError, match="in_axes must be"):
        ftrans.vmap(lambda x: x, in_axes="0")(X)


def test_out_axes_none_on_a_batched_output_is_an_error():
    with pytest.raises(ValueError, match="out_axes is None for output 0"):
        ftrans.vmap(lambda x: x, out_axes=None)(X)


def test_no_mapped_argument_and_no_axis_size():
    with pytest.raises(ValueError, match="axis_size"):
        ftrans.vmap(lambda x: x, in_axes=None)(X)


def test_state_is_clean_after_an_error():
    with pytest.raises(ValueError):
        ftrans.vmap(lambda x, y: x * y)(np.ones(3), np.ones(4))
    from ftrans.tracing import current_trace
    assert current_trace() is None
    close(ftrans.vmap(jnp.sin)(X), np.sin(X))
