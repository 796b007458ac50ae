"""examples/rnn_bptt.py at small sizes: training lowers the loss, the
gradient's jaxpr does not grow with the sequence length, and the gradient
through ``scan`` equals the unrolled loop's and a hand-written BPTT.
(tests/test_examples.py also runs the script itself with ``--small``.)"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import ftrans

PATH = Path(__file__).resolve().parent.parent / "examples" / "rnn_bptt.py"


@pytest.fixture(scope="module")
def rnn_bptt():
    spec = importlib.util.spec_from_file_location("rnn_bptt", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_main_trains_and_reports(rnn_bptt, capsys):
    out = rnn_bptt.main(T=6, steps=40, batch=8, timing_T=8, timing_runs=1)
    losses = out["losses"]
    assert len(losses) == 40 and all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.2 * losses[0]
    counts = out["eqn_counts"]
    assert counts[10] == counts[1000]
    assert out["grad_difference"] < 1e-10
    text = capsys.readouterr().out
    assert "step    0  loss" in text
    assert "T=  10" in text and "T=1000" in text
    assert "max abs difference" in text and "unrolled Python loop" in text


def _bptt_numpy(p, xs, ys):
    """Hand-written backpropagation through time for the example's batched
    model (loss averaged over the batch, summed over time)."""
    T, B, _ = xs.shape
    hs, ps = [np.zeros((B, p["Wh"].shape[0]))], []
    for x in xs:
        hs.append(np.tanh(x @ p["Wi"].T + hs[-1] @ p["Wh"].T))
        z = hs[-1] @ p["Wo"].T
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        ps.append(e / e.sum(axis=-1, keepdims=True))
    g = {k: np.zeros_like(v) for k, v in p.items()}
    d_next = np.zeros_like(hs[0])
    for t in reversed(range(T)):
        # softmax + cross-entropy; a zero target row contributes no loss
        d_z = (ps[t] * ys[t].sum(axis=-1, keepdims=True) - ys[t]) / B
        g["Wo"] += d_z.T @ hs[t + 1]
        d_a = (d_z @ p["Wo"] + d_next) * (1 - hs[t + 1] ** 2)
        g["Wi"] += d_a.T @ xs[t]
        g["Wh"] += d_a.T @ hs[t]
        d_next = d_a @ p["Wh"]
    return g


def test_example_gradient_matches_handwritten_bptt(rnn_bptt):
    rng = np.random.default_rng(0)
    params = rnn_bptt.init_params(rng, K=3, H=5)
    xs, ys = rnn_bptt.make_batch(rng, T=7, batch=4, K=3)
    want = _bptt_numpy(params, xs, ys)
    for loss in (rnn_bptt.loss_scan, rnn_bptt.loss_unrolled):
        got = ftrans.grad(loss)(params, xs, ys)
        for k in params:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-10, atol=1e-13)


def test_example_jaxpr_counts(rnn_bptt):
    rng = np.random.default_rng(1)
    params = rnn_bptt.init_params(rng, K=3, H=4)
    sizes = []
    for T in (10, 1000):
        xs, ys = rnn_bptt.make_batch(rng, T, 2, 3)
        closed = ftrans.make_jaxpr(ftrans.grad(rnn_bptt.loss_scan))(params, xs, ys)
        sizes.append((len(closed.eqns), rnn_bptt.count_eqns(closed)))
    assert sizes[0] == sizes[1]
