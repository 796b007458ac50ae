"""Rows of the primitive table for ftrans/prims/control.py and
ftrans/prims/special.py.

These primitives carry sub-jaxprs (or user rules), so each row applies the
public function (``lax.cond``, ``lax.scan``, ``custom_jvp``, ...) to a small
body written with ``ftrans.lax``; the numpy references are plain Python
loops. Branch indices are int64 arguments (the derivative checks only vary
the float ones). Rows whose derivatives cannot go through the generic
two-mode check have ``order=0`` and are differentiated in
tests/test_control_flow.py and tests/test_custom_derivatives.py instead:
``while`` (forward mode only), ``stop_gradient`` (its derivative is zero by
definition, not the numerical one) and ``custom_vjp_call`` (reverse mode
only). ``custom_lin`` has a waiver in tests/test_prim_coverage.py.
``jit_call`` rows call a jitted function: eagerly it runs compiled code,
under every transformation of the checks it binds ``jit_call``.
"""

import numpy as np

import ftrans
from ftrans import lax
from ftrans.ad_checkpoint import checkpoint_name
from tests.prim_table import Case

F, I = np.float64, np.int64


def _index(lo, hi):
    """Integers in [lo, hi) for the branch index, standard normal otherwise."""
    def sample(rng, shape):
        return rng.integers(lo, hi, shape)
    return sample


def _normal(rng, shape):
    return rng.standard_normal(shape)


# --- cond / switch ---------------------------------------------------------------

def _cond(i, x):
    return lax.cond(i > 0, lambda x: lax.sin(x) * x, lambda x: lax.exp(x) * 0.5, x)


def _ref_cond(i, x):
    return np.sin(x) * x if i > 0 else np.exp(x) * 0.5


_SWITCH_REFS = [np.sin, np.cos, lambda x: x * x * x]


def _switch(i, x, y):
    return lax.switch(i, [lambda x, y: lax.sin(x) * y,
                          lambda x, y: lax.cos(x) + y,
                          lambda x, y: x * x * x - y], x, y)


def _ref_switch(i, x, y):
    k = int(np.clip(i, 0, 2))  # out-of-range indices are clamped, as in JAX
    return [np.sin(x) * y, np.cos(x) + y, x * x * x - y][k]


def _cond_linear(i, x):
    return lax.cond(i > 0, lambda x: x * 2.0, lambda x: -x, x)


def _cond_unbatched_branch(i, x):
    # the false branch ignores x: under vmap with an unbatched index its
    # output is unbatched while the true branch's is batched
    return lax.cond(i > 0, lambda x: lax.sin(x) * 2.0, lambda x: np.full(3, 0.5), x)


def _ref_cond_unbatched_branch(i, x):
    return np.sin(x) * 2.0 if i > 0 else np.full(3, 0.5)


# --- scan ------------------------------------------------------------------------

def _scan(w, c, xs):
    def body(c, x):
        new = lax.tanh(lax.dot(w, c) + x)
        return new, lax.sin(c) * x
    return lax.scan(body, c, xs)


def _ref_scan(w, c, xs):
    ys = []
    for x in xs:
        ys.append(np.sin(c) * x)
        c = np.tanh(w @ c + x)
    return c, np.stack(ys)


def _scan_reverse(c, xs):
    return lax.scan(lambda c, x: (lax.sin(c) * x + c, c * x), c, xs, reverse=True)


def _ref_scan_reverse(c, xs):
    ys = [None] * len(xs)
    for t in reversed(range(len(xs))):
        ys[t] = c * xs[t]
        c = np.sin(c) * xs[t] + c
    return c, np.stack(ys)


def _scan_no_xs(c):
    return lax.scan(lambda c, _: (lax.sin(c) * 1.5, lax.cos(c)), c, None, length=3)


def _ref_scan_no_xs(c):
    ys = []
    for _ in range(3):
        ys.append(np.cos(c))
        c = np.sin(c) * 1.5
    return c, np.stack(ys)


def _scan_linear(c, xs):
    return lax.scan(lambda c, x: (c * 0.5 + x, c * 2.0 - x), c, xs)[1]


def _ref_scan_linear(c, xs):
    ys = []
    for x in xs:
        ys.append(c * 2.0 - x)
        c = c * 0.5 + x
    return np.stack(ys)


# --- while -----------------------------------------------------------------------

def _while(x):
    def body(state):
        i, x = state
        return i + 1, lax.sin(x) * 1.2
    return lax.while_loop(lambda s: s[0] < 3, body, (np.int64(0), x))[1]


def _ref_while(x):
    for _ in range(3):
        x = np.sin(x) * 1.2
    return x


def _while_trips(n, x):
    # n steps: under vmap with a batched n each example stops at its own step
    def body(state):
        i, x = state
        return i + 1, lax.sin(x) * 1.2
    return lax.while_loop(lambda s: s[0] < n, body, (np.int64(0), x))[1]


def _ref_while_trips(n, x):
    for _ in range(int(n)):
        x = np.sin(x) * 1.2
    return x


def _while_consts(limit, w, x):
    # limit is captured by cond_fun, w by body_fun
    def body(state):
        t, x = state
        return t + 1.0, lax.sin(x) * w
    return lax.while_loop(lambda s: s[0] < limit, body, (np.float64(0.0), x))[1]


def _ref_while_consts(limit, w, x):
    t = 0.0
    while t < limit:
        t, x = t + 1.0, np.sin(x) * w
    return x


def _half_integers(rng, shape):
    return rng.integers(0, 4, shape) + 0.5


# --- custom derivatives and remat ------------------------------------------------

@ftrans.custom_jvp
def _softplus(x):
    return lax.log1p(lax.exp(x))


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return _softplus(x), x_dot * lax.logistic(x)


@ftrans.custom_jvp
def _xsiny(x, y):
    return x * lax.sin(y)


_xsiny.defjvps(lambda x_dot, out, x, y: x_dot * lax.sin(y),
               lambda y_dot, out, x, y: y_dot * x * lax.cos(y))


@ftrans.custom_vjp
def _cube(x):
    return x * x * x


_cube.defvjp(lambda x: (x * x * x, x), lambda x, ct: (ct * 3.0 * x * x,))


_remat_fn = ftrans.checkpoint(lambda x, y: lax.sin(lax.sin(x) * y) * x)
_remat_policy_fn = ftrans.checkpoint(
    lambda x, y: lax.sin(checkpoint_name(lax.sin(x) * y, "a")) * x,
    policy=ftrans.checkpoint_policies.save_only_these_names("a"))


# --- jit_call (a jitted function called on tracers) ---------------------------------

_jitted = ftrans.jit(lambda x, y: lax.sin(x) * y + lax.exp(x))
_jitted_linear = ftrans.jit(lambda x, y: x * 2.0 - y)
_JIT_W = np.array([0.5, -1.0, 2.0])
_jitted_consts = ftrans.jit(lambda x: lax.tanh(x * _JIT_W))   # a closed-over array
_jitted_two = ftrans.jit(lambda x: (lax.sin(x), x * x))


CASES = [
    Case("cond", _cond, ((), (3,)), ref=_ref_cond, domain=(_index(0, 2), _normal),
         dtypes=(I, F)),
    Case("cond", _switch, ((), (3,), (3,)), ref=_ref_switch,
         domain=(_index(-1, 4), _normal, _normal), dtypes=(I, F, F), name="switch3"),
    Case("cond", _cond_linear, ((), (2, 3)), ref=lambda i, x: 2 * x if i > 0 else -x,
         domain=(_index(0, 2), _normal), dtypes=(I, F), linear_args=(1,),
         name="linear"),
    Case("cond", _cond_unbatched_branch, ((), (3,)), ref=_ref_cond_unbatched_branch,
         domain=(_index(0, 2), _normal), dtypes=(I, F), name="unbatched_branch"),
    Case("scan", _scan, ((3, 3), (3,), (4, 3)), ref=_ref_scan, tol=1e-4),
    Case("scan", _scan_reverse, ((2,), (5, 2)), ref=_ref_scan_reverse, name="reverse"),
    Case("scan", _scan_no_xs, ((2,),), ref=_ref_scan_no_xs, name="length_only"),
    Case("scan", _scan_linear, ((3,), (4, 3)), ref=_ref_scan_linear, linear_args=(0, 1),
         name="linear"),
    Case("while", _while, ((3,),), ref=_ref_while, order=0),
    Case("while", _while_trips, ((), (3,)), ref=_ref_while_trips,
         domain=(_index(0, 4), _normal), dtypes=(I, F), order=0, name="trip_count"),
    Case("while", _while_consts, ((), (), (3,)), ref=_ref_while_consts,
         domain=(_half_integers, _normal, _normal), order=0, name="consts"),
    Case("stop_gradient", lax.stop_gradient, ((2, 3),), ref=lambda x: x, order=0),
    Case("custom_jvp_call", _softplus, ((4,),), ref=lambda x: np.logaddexp(0.0, x)),
    Case("custom_jvp_call", _xsiny, ((3,), (3,)), ref=lambda x, y: x * np.sin(y),
         name="defjvps"),
    Case("custom_vjp_call", _cube, ((4,),), ref=lambda x: x ** 3, order=0),
    Case("remat", _remat_fn, ((3,), (3,)),
         ref=lambda x, y: np.sin(np.sin(x) * y) * x),
    Case("remat", _remat_policy_fn, ((3,), (3,)),
         ref=lambda x, y: np.sin(np.sin(x) * y) * x, name="policy"),
    Case("name", lambda x: checkpoint_name(x, "a"), ((2, 3),), ref=lambda x: x,
         linear_args=(0,)),
    Case("jit_call", _jitted, ((3,), (3,)), ref=lambda x, y: np.sin(x) * y + np.exp(x)),
    Case("jit_call", _jitted_linear, ((2, 3), (2, 3)), ref=lambda x, y: 2.0 * x - y,
         linear_args=(0, 1), name="linear"),
    Case("jit_call", _jitted_consts, ((3,),), ref=lambda x: np.tanh(x * _JIT_W),
         name="consts"),
    Case("jit_call", _jitted_two, ((4,),), ref=lambda x: (np.sin(x), x * x),
         name="two_outputs"),
]
