"""Randomly composed programs: each is a chain of ftrans.numpy operations on
broadcasting operands, generated from a seed; its derivatives of orders 1 and
2, in forward and reverse mode, must match float64 central differences, and
jacfwd must equal jacrev. Composition bugs (a rule that is right alone but
wrong next to broadcasting, reductions or a shared operand) show up here."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.test_util import check_grads

# smooth on the values the generator keeps them in: roughly [-3, 3]
UNARY = [jnp.sin, jnp.cos, jnp.tanh, lambda x: jnp.exp(0.3 * x), lambda x: x * x,
         lambda x: jnp.log1p(x * x), lambda x: jnp.sqrt(1.0 + x * x), jnp.arctan,
         lambda x: 1.0 / (1.5 + jnp.sin(x)), ftrans.nn.sigmoid, ftrans.nn.softplus]
BINARY = [jnp.add, jnp.subtract, jnp.multiply, lambda x, y: x / (2.0 + y * y),
          lambda x, y: jnp.arctan2(x, 2.0 + jnp.cos(y))]
SHAPES = [(3, 4), (4,), (3, 1), (1, 4), ()]


def _broadcastable(a, b) -> bool:
    try:
        np.broadcast_shapes(jnp.shape(a), jnp.shape(b))
        return True
    except ValueError:
        return False


def _structured(kind, a, pick):
    """Indexing, selection, concatenation and control flow on ``a``."""
    if kind == "index" and jnp.ndim(a) > 0:
        return a[..., ::-1] if pick % 2 else a[0]
    if kind == "where":
        return jnp.where(a > 0.1, a, 0.5 * a - 0.05)
    if kind == "concat" and jnp.ndim(a) > 0:
        return jnp.concatenate([a, jnp.sin(a)], axis=-1)
    if kind == "scan" and jnp.ndim(a) == 2:
        return ftrans.lax.scan(lambda c, x: (jnp.tanh(c + x), c * x), jnp.zeros(a.shape[1]),
                               a)[1]
    if kind == "cond":
        return ftrans.lax.cond(jnp.sum(a) > 0, jnp.sin, lambda v: v * jnp.cos(v), a)
    if kind == "at" and jnp.ndim(a) > 0:
        return jnp.at(a)[..., 0].add(jnp.sum(a * a))
    return None


def _random_program(seed, structured=False, fired=None):
    """``(program, args)`` for ``seed``; when given the set ``fired``, running
    the program adds to it the ``(kind, variant)`` of every step it took."""
    rng = np.random.default_rng(seed)
    n_in = int(rng.integers(1, 4))
    shapes = [SHAPES[i] for i in rng.integers(0, len(SHAPES), n_in)]
    steps = []
    kinds = ["unary", "binary", "reduce", "matmul"]
    if structured:
        kinds += ["index", "where", "concat", "scan", "cond", "at"]
    for _ in range(int(rng.integers(3, 9))):
        steps.append((rng.choice(kinds), int(rng.integers(0, 1000))))
    args = tuple(rng.uniform(-1.5, 1.5, s) for s in shapes)

    def program(*xs):
        values = list(xs)
        for kind, pick in steps:
            a = values[pick % len(values)]
            out, variant = None, None
            if kind == "unary":
                variant = pick % len(UNARY)
                out = UNARY[variant](a)
            elif kind == "binary":
                b = values[(pick // 7) % len(values)]
                if _broadcastable(a, b):
                    variant = pick % len(BINARY)
                    out = BINARY[variant](a, b)
            elif kind == "reduce" and jnp.ndim(a) > 0:
                variant = bool(pick % 2)
                out = jnp.mean(a, axis=-1, keepdims=variant)
            elif kind == "matmul" and jnp.ndim(a) == 2:
                w = np.linspace(-1.0, 1.0, a.shape[1] * 2).reshape(a.shape[1], 2)
                out = jnp.tanh(a @ w)
            elif kind not in ("unary", "binary", "reduce", "matmul"):
                variant = pick % 2 if kind == "index" else None
                out = _structured(kind, a, pick)
            if out is not None:
                values.append(out)
                if fired is not None:
                    fired.add((str(kind), variant))
        # every value contributes, so no input is left out by chance
        return sum(jnp.sum(jnp.sin(v)) for v in values[len(xs):]) + sum(
            jnp.sum(x * x) for x in xs)

    return program, args


# The full sets of seeds run with FTRANS_LONG_TESTS=1 (see conftest.py); by
# default only these run. Together they take every step kind, function
# variant and input shape that their full set takes (the first test below
# checks it), plus evenly spaced seeds for breadth.
SEEDS = range(40)
DEFAULT_SEEDS = (0, 1, 2, 8, 12, 16, 24, 28, 32, 39)
STRUCTURED_SEEDS = range(100, 160)
DEFAULT_STRUCTURED_SEEDS = (100, 104, 108, 109, 110, 112, 118, 120, 130, 140, 150, 154, 156)


def _seeds(full, default):
    return [s if s in default else pytest.param(s, marks=pytest.mark.long) for s in full]


def _steps_taken(seeds, structured):
    fired = set()
    for seed in seeds:
        program, args = _random_program(seed, structured, fired)
        program(*args)
        fired |= {("input shape", np.shape(a)) for a in args}
    return fired


@pytest.mark.parametrize("full,default,structured",
                         [(SEEDS, DEFAULT_SEEDS, False),
                          (STRUCTURED_SEEDS, DEFAULT_STRUCTURED_SEEDS, True)])
def test_default_seeds_take_every_step_of_the_full_set(full, default, structured):
    assert set(default) <= set(full)
    missing = _steps_taken(full, structured) - _steps_taken(default, structured)
    assert not missing, f"no default seed takes the steps {sorted(missing, key=str)}"


@pytest.mark.parametrize("seed", _seeds(SEEDS, DEFAULT_SEEDS))
def test_random_program_derivatives(seed):
    program, args = _random_program(seed)
    check_grads(program, args, order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("seed", _seeds(STRUCTURED_SEEDS, DEFAULT_STRUCTURED_SEEDS))
def test_random_structured_program_derivatives(seed):
    program, args = _random_program(seed, structured=True)
    check_grads(program, args, order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("seed", range(40, 50))
def test_random_program_jacobians_agree(seed):
    program, args = _random_program(seed)
    vector_valued = lambda *xs: jnp.stack([program(*xs), jnp.sin(program(*xs))])  # noqa: E731
    argnums = tuple(range(len(args)))
    forward = ftrans.jacfwd(vector_valued, argnums=argnums)(*args)
    reverse = ftrans.jacrev(vector_valued, argnums=argnums)(*args)
    for f, r in zip(forward, reverse):
        np.testing.assert_allclose(f, r, rtol=1e-10, atol=1e-12)
