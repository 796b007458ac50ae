"""The printer: jaxprs read as in JAX, ``{ lambda consts ; ins. let ... in (outs) }``."""

import re

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.core import ClosedJaxpr, Primitive
from ftrans.eval import eval_closed
from ftrans.pretty import pp_jaxpr


def _jaxpr_text(f, *args, **kw):
    return str(ftrans.make_jaxpr(f, **kw)(*args))


def _primitives(text):
    """Primitive names in the order they appear in the text."""
    return re.findall(r"= ([a-z_]+)[\[ \n]", text)


def test_golden_sin_mul():
    assert _jaxpr_text(lambda x: jnp.sin(x) * 2.0, np.ones(3)) == (
        "{ lambda ; a:f64[3]. let\n"
        "    b:f64[3] = sin a\n"
        "    c:f64[3] = mul b 2.0\n"
        "  in (c,) }")


def test_golden_constvars_come_before_the_semicolon():
    c = np.arange(3.0)
    assert _jaxpr_text(lambda x: jnp.sin(x) * c, np.ones(3)) == (
        "{ lambda a:f64[3] ; b:f64[3]. let\n"
        "    c:f64[3] = sin b\n"
        "    d:f64[3] = mul c a\n"
        "  in (d,) }")


def test_golden_integers_booleans_and_several_outputs():
    text = _jaxpr_text(lambda x, y: (x + y, x * 2, x > 1), np.int32(1), np.int32(2))
    assert text == (
        "{ lambda ; a:i32[] b:i32[]. let\n"
        "    c:i32[] = add a b\n"
        "    d:i32[] = mul a 2\n"
        "    e:bool[] = gt a 1\n"
        "  in (c, d, e) }")


def test_golden_no_equations():
    assert _jaxpr_text(lambda x: x, 1.0) == "{ lambda ; a:f64[]. let\n  in (a,) }"
    assert _jaxpr_text(lambda: 1.0) == "{ lambda ; . let\n  in (1.0,) }"


def test_params_are_printed_in_brackets():
    text = _jaxpr_text(lambda x: x.astype(np.float32) * 2.0, np.ones(2))
    assert "b:f32[2] = convert_element_type[new_dtype=f32] a" in text
    text = _jaxpr_text(lambda x, y: x * y, np.ones((2, 3)), 2.0)
    line = [ln for ln in text.splitlines() if "broadcast_in_dim" in ln][0]
    assert re.search(r"f64\[2,3\] = broadcast_in_dim\[.*shape=\(2, 3\).*\] b$", line), line


def test_many_variables_get_distinct_names():
    def f(x):
        for _ in range(40):
            x = jnp.sin(x)
        return x
    text = _jaxpr_text(f, 1.0)
    binders = re.findall(r"([a-z]+):f64\[\]", text)
    assert len(binders) == 41 and len(set(binders)) == 41
    assert text.splitlines()[-1] == f"  in ({binders[-1]},) }}"


def test_closed_jaxpr_and_jaxpr_print_the_same():
    closed = ftrans.make_jaxpr(lambda x: jnp.exp(x) + 1.0)(np.ones(2))
    assert str(closed) == str(closed.jaxpr) == pp_jaxpr(closed.jaxpr) == repr(closed)


def test_sub_jaxpr_params_are_printed_nested_and_indented():
    inner = ftrans.make_jaxpr(lambda x: jnp.sin(x) * 3.0)(np.ones(2))
    call_p = Primitive("_test_pretty_call")
    try:
        call_p.def_impl(lambda x, jaxpr: eval_closed(jaxpr, x)[0])
        call_p.def_abstract_eval(lambda x, jaxpr: jaxpr.out_avals[0])
        outer = ftrans.make_jaxpr(lambda x: call_p.bind(jnp.exp(x), jaxpr=inner))(np.ones(2))
        text = str(outer)
        assert "_test_pretty_call[jaxpr={ lambda ; a:f64[2]. let" in text
        # the inner jaxpr names its variables afresh and is indented under the equation
        lines = text.splitlines()
        i = [k for k, ln in enumerate(lines) if "_test_pretty_call" in ln][0]
        assert lines[i + 1].startswith("          b:f64[2] = sin a")
        np.testing.assert_allclose(eval_closed(outer, np.ones(2))[0], 3 * np.sin(np.e))
    finally:
        Primitive.registry.pop("_test_pretty_call", None)
    assert isinstance(inner, ClosedJaxpr)


# --- whole models print readable text --------------------------------------------------

def _mlp(params, x):
    import ftrans.nn
    (W1, b1), (W2, b2) = params
    h = ftrans.nn.relu(W1 @ x + b1)
    return jnp.tanh(W2 @ h + b2)


def test_mlp_forward_pass_prints_readable_text(rng):
    params = ((rng.standard_normal((4, 3)), rng.standard_normal(4)),
              (rng.standard_normal((2, 4)), rng.standard_normal(2)))
    text = _jaxpr_text(_mlp, params, rng.standard_normal(3))
    assert text.startswith("{ lambda ; a:f64[4,3] b:f64[4] c:f64[2,4] d:f64[2] e:f64[3]. let")
    prims = _primitives(text)
    assert prims.count("dot_general") == 2
    assert "tanh" in prims and "add" in prims
    assert "max" in prims or "select_n" in prims  # relu
    assert "f64[4]" in text and text.rstrip().endswith(",) }")


def test_softmax_cross_entropy_prints_readable_text(rng):
    import ftrans.nn

    def loss(W, b, x, y):
        logits = W @ x + b
        return -ftrans.nn.log_softmax(logits)[y]

    W, b, x = rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal(3)
    text = _jaxpr_text(loss, W, b, x, 2, static_argnums=3)
    prims = _primitives(text)
    for name in ("dot_general", "exp", "log", "reduce_sum", "sub", "neg"):
        assert name in prims, (name, text)
    assert "f64[5]" in text
    assert text.splitlines()[-1].endswith(",) }")


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_make_jaxpr_of_grad_prints_the_backward_pass(shape):
    closed = ftrans.make_jaxpr(ftrans.grad(lambda x: jnp.sum(jnp.sin(x) * x)))(np.ones(shape))
    text = str(closed)
    prims = _primitives(text)
    assert "sin" in prims and "cos" in prims  # forward value and its derivative
    # the cotangent of the sum is broadcast back to the input's shape: staged,
    # or folded into a constant since it does not depend on x
    assert "broadcast_in_dim" in prims or closed.jaxpr.constvars
    assert text.splitlines()[-1].startswith("  in (") and len(closed.out_avals) == 1
    x = np.linspace(0.1, 0.9, int(np.prod(shape))).reshape(shape)
    np.testing.assert_allclose(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x)[0],
                               np.cos(x) * x + np.sin(x))
