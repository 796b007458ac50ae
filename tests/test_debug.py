"""ftrans.debug.print / callback under every transformation, and the
debug_callback equation surviving the optimization passes."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import debug, lax
from ftrans.transforms.cse import cse_jaxpr
from ftrans.transforms.dce import dce_jaxpr


def f(x):
    debug.print("x={x}", x=x)
    return jnp.sum(x ** 2)


def lines(capsys):
    return capsys.readouterr().out.splitlines()


def test_eager_grad_jvp(capsys):
    f(np.array([1.0, 2.0]))
    assert lines(capsys) == ["x=[1. 2.]"]
    g = ftrans.grad(f)(np.array([0.0, 1.0]))
    np.testing.assert_allclose(g, [0.0, 2.0])
    assert lines(capsys) == ["x=[0. 1.]"]  # the primal, once; no tangents
    ftrans.jvp(f, (1.0,), (1.0,))
    assert lines(capsys) == ["x=1.0"]
    ftrans.hessian(f)(2.0)
    assert lines(capsys) == ["x=2.0"]


def test_jit_prints_every_call(capsys):
    g = ftrans.jit(f)
    g(1.0), g(2.0), g(3.0)
    assert lines(capsys) == ["x=1.0", "x=2.0", "x=3.0"]
    h = ftrans.jit(ftrans.grad(f))
    h(1.0), h(4.0)
    assert lines(capsys) == ["x=1.0", "x=4.0"]
    k = ftrans.grad(ftrans.jit(f))
    k(5.0)
    assert lines(capsys) == ["x=5.0"]
    assert "callback" in ftrans.jit(f).lower(1.0).as_text()


def test_vmap_once_per_element(capsys):
    ftrans.vmap(f)(np.arange(3.0))
    assert lines(capsys) == ["x=0.0", "x=1.0", "x=2.0"]
    ftrans.vmap(ftrans.jit(f))(np.arange(2.0))
    assert lines(capsys) == ["x=0.0", "x=1.0"]
    ftrans.vmap(lambda x, y: debug.print("{} {}", x, y), in_axes=(0, None))(np.arange(2.0), 7.0)
    assert lines(capsys) == ["0.0 7.0", "1.0 7.0"]


def test_scan_body(capsys):
    def body(c, x):
        debug.print("c {} x {}", c, x)
        return c + x, None

    lax.scan(body, 0.0, np.arange(3.0))
    expected = ["c 0.0 x 0.0", "c 0.0 x 1.0", "c 1.0 x 2.0"]
    assert lines(capsys) == expected
    ftrans.jit(lambda xs: lax.scan(body, 0.0, xs)[0])(np.arange(3.0))
    assert lines(capsys) == expected
    ftrans.grad(lambda xs: lax.scan(body, 0.0, xs)[0])(np.arange(3.0))
    assert lines(capsys) == expected


def test_callback_values_and_static_args():
    seen = []
    g = ftrans.jit(lambda x: debug.callback(lambda v, tag: seen.append((tag, float(v))),
                                            x, "t") or x * 2)
    g(1.0), g(2.0)
    assert seen == [("t", 1.0), ("t", 2.0)]
    with pytest.raises(TypeError, match="callable"):
        debug.callback(3, 1.0)
    with pytest.raises(TypeError, match="format"):
        debug.print(3, 1.0)


def test_passes_keep_the_equation():
    def twice(x):
        debug.print("{}", x)
        debug.print("{}", x)
        return x * 2

    closed = ftrans.make_jaxpr(twice)(1.0)
    names = [e.primitive.name for e in dce_jaxpr(cse_jaxpr(closed)).eqns]
    assert names.count("debug_callback") == 2  # neither merged nor dropped
    # a scan whose outputs are all unused is kept for its body's effect
    scanned = ftrans.make_jaxpr(lambda xs: lax.scan(
        lambda c, x: (debug.print("{}", x) or c, x), 0.0, xs) and 1.0)(np.arange(2.0))
    assert any(e.primitive.name == "scan" for e in dce_jaxpr(scanned).eqns)
