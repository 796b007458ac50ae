"""A computational graph and its reverse sweep: e = (a + b) * (b + 1).

The graph has two intermediate nodes, c = a + b and d = b + 1, and the input b
feeds both of them. Reverse mode starts from de/de = 1 and walks back:
de/dc = d, de/dd = c, so de/da = d and de/db = d + c, the sum over b's two
paths. At a = 3, b = 2 this gives c = 5, d = 3, e = 15, de/da = 3, de/db = 8.

The script prints the forward values, the partials from ``ftrans.grad``
next to the hand-derived sweep, the jaxpr of the function and of its
gradient (the backward pass, written out as a graph of its own), and a
parameter-sharing example, y = x * exp(x^2), where x is used twice and
dy/dx = exp(x^2) (1 + 2 x^2). It writes both graphs with ``ftrans.viz``:
``.dot`` files always, ``.svg`` files too when Graphviz's ``dot`` is installed.

Run: python examples/computational_graph.py [--small] [--out DIR]
(graphs go to ./graphs by default; --small changes nothing, it is tiny already)
"""

import argparse
import shutil
from pathlib import Path

import numpy as np

import ftrans
import ftrans.numpy as jnp
from ftrans import viz


def e_fn(a, b):
    """e = (a + b) * (b + 1), through its intermediate nodes c and d."""
    c = a + b
    d = b + 1
    return c * d


def shared(x):
    """y = x * exp(x^2): the parameter x is used by two nodes."""
    return x * jnp.exp(x ** 2)


def main(small: bool = False, out: str | None = None) -> dict:
    del small  # the example is as small as it gets
    a, b = 3.0, 2.0

    print("forward pass at a = 3, b = 2:")
    c, d = a + b, b + 1
    e = float(e_fn(a, b))
    print(f"  c = a + b = {c:g}")
    print(f"  d = b + 1 = {d:g}")
    print(f"  e = c * d = {e:g}")

    print("reverse sweep by hand (start from de/de = 1):")
    e_bar = 1.0
    c_bar, d_bar = e_bar * d, e_bar * c  # e = c * d
    a_bar = c_bar                        # c = a + b
    b_bar = c_bar + d_bar                # b feeds c and d: its two paths add up
    print(f"  de/dc = d = {c_bar:g}, de/dd = c = {d_bar:g}")
    print(f"  de/da = de/dc = {a_bar:g}, de/db = de/dc + de/dd = {b_bar:g}")

    da, db = ftrans.grad(e_fn, argnums=(0, 1))(a, b)
    print("reverse mode with ftrans.grad(e_fn, argnums=(0, 1)):")
    print(f"  de/da = {float(da):g}")
    print(f"  de/db = {float(db):g}")
    assert (float(da), float(db)) == (a_bar, b_bar) == (3.0, 8.0)

    fn_jaxpr = ftrans.make_jaxpr(e_fn)(a, b)
    grad_jaxpr = ftrans.make_jaxpr(ftrans.grad(e_fn, argnums=(0, 1)))(a, b)
    print("the jaxpr of e_fn (the forward graph):")
    print(fn_jaxpr)
    print("the jaxpr of its gradient (the backward pass as a graph):")
    print(grad_jaxpr)

    print("parameter sharing, y = x * exp(x^2): dy/dx = exp(x^2) (1 + 2 x^2)")
    worst = 0.0
    for x in (-1.0, 0.0, 0.5, 1.5):
        auto = float(ftrans.grad(shared)(x))
        closed = np.exp(x ** 2) * (1 + 2 * x ** 2)
        worst = max(worst, abs(auto - closed))
        print(f"  x = {x:5.2f}: ftrans {auto:12.6f}   closed form {closed:12.6f}")
    print(f"  max abs difference: {worst:.2e}")
    assert worst < 1e-10

    out_dir = Path(out) if out is not None else Path.cwd() / "graphs"
    written = viz.save_graphs({"e": fn_jaxpr, "grad_e": grad_jaxpr,
                            "grad_shared": ftrans.make_jaxpr(ftrans.grad(shared))(0.5)},
                           out_dir)
    if not shutil.which("dot"):
        print("(Graphviz `dot` not found: wrote .dot files only)")
    print("graphs written:", ", ".join(str(p) for p in written))
    return {"de/da": float(da), "de/db": float(db)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny sizes (no effect here)")
    parser.add_argument("--out", default=None, help="directory for the graphs (default ./graphs)")
    args = parser.parse_args()
    main(small=args.small, out=args.out)
