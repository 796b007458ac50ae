"""Every script in examples/ runs: a subprocess per script, small sizes.

Scripts are found with a glob, so a new example is tested as soon as it
exists. A script gets ``--small`` when its source mentions that flag and
``--out <tmp dir>`` when it mentions ``--out``; it runs with the repository
root on PYTHONPATH, in a temporary working directory. The test asserts exit
code 0 and, for the examples listed in ``EXPECTED``, lines of their output.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

TINY = r"max abs difference: (0\.00e\+00|\d\.\d\de-(1\d|[2-9]\d))"  # below 1e-9

# Text each example must print (regular expressions), beyond exiting cleanly.
EXPECTED = {
    "computational_graph": [r"c = a \+ b = 5\b", r"d = b \+ 1 = 3\b", r"e = c \* d = 15\b",
                            r"de/da = 3\n", r"de/db = 8\n", r"mul c d", TINY],
    "logistic_regression": [TINY, r"epoch  0: loss"],
    "jacobians": [r"tall \(n=\d+, m=\d+\)\n  predicted fwd: .*flops, peak .*\n"
                  r"  predicted rev: .*flops, peak .*\n  chosen: fwd\n",
                  r"wide \(n=\d+, m=\d+\)\n(  predicted .*\n){2}  chosen: rev\n",
                  r"square \(n=\d+, m=\d+\)\n(  predicted .*\n){2}  chosen: (fwd|rev)\n",
                  r"measured: jacfwd [\d.]+ ms, jacrev [\d.]+ ms, jacobian\(auto\) [\d.]+ ms"],
    "mlp_sgd": [r"final training accuracy"],
    "out_of_core_logistic": [TINY, r"never materialized\) in 11 chunks",
                             r"newton  5: loss 0\.351561  \|grad\| \d\.\d+e-(0[5-9]|1\d)",
                             r"cosine\(fitted, true weights\): 0\.99", r"peak RSS"],
    "plain_numpy": [TINY, r"final energy -6\.0000000\d", r"\n\s+0\s+-3\.885",
                    r"pair distances \[(1\.122462 ){5}1\.122462\]"],
    "per_example_grads": [r"max difference from the loop (0\.0e\+00|\d\.\de-(1[3-9]|[2-9]\d))",
                          r"step 4: loss 0\.6\d+"],
    "skip_connection": [r"through the block", r"through the identity", TINY],
    "spectral_pde": [r"after one Newton step: loss \d\.\d+e-(2\d|1[6-9]), max error vs exact "
                     r"\d\.\d+e-1\d", r"gradient steps: loss \d\.\d+e-(1\d|[2-9]\d)"],
}

# Examples that write graphs into --out, with the files they must produce.
GRAPHS = {
    "computational_graph": ["e.dot", "grad_e.dot", "grad_shared.dot"],
    "logistic_regression": ["loss.dot", "grad_loss.dot"],
}

# Final training accuracy the --small run must reach.
MIN_ACCURACY = {"logistic_regression": 0.9, "mlp_sgd": 0.8}


def test_examples_are_found():
    names = {p.stem for p in EXAMPLES}
    assert set(EXPECTED) <= names, sorted(set(EXPECTED) - names)


def _run(script: Path, workdir: Path, out_dir: Path,
         small: bool = True) -> subprocess.CompletedProcess:
    source = script.read_text()
    args = [sys.executable, str(script)]
    if small and "--small" in source:
        args.append("--small")
    if "--out" in source:
        args += ["--out", str(out_dir)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    out_dir = tmp_path / "graphs"
    result = _run(script, tmp_path, out_dir)
    assert result.returncode == 0, (
        f"{script.name} exited with {result.returncode}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}")
    assert result.stdout.strip(), f"{script.name} printed nothing"
    for pattern in EXPECTED.get(script.stem, []):
        assert re.search(pattern, result.stdout), (
            f"{script.name}: no match for {pattern!r} in\n{result.stdout}")
    for name in GRAPHS.get(script.stem, []):
        path = out_dir / name
        assert path.is_file() and path.read_text().startswith("digraph"), path
    if script.stem in MIN_ACCURACY:
        acc = float(re.search(r"final training accuracy: ([\d.]+)", result.stdout).group(1))
        assert acc > MIN_ACCURACY[script.stem], result.stdout


def _load(name: str):
    """Import examples/<name>.py as a module (examples/ is not a package)."""
    path = ROOT / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mlp_sgd_default_settings_reach_95_percent(tmp_path):
    result = _run(ROOT / "examples" / "mlp_sgd.py", tmp_path, tmp_path, small=False)
    assert result.returncode == 0, result.stderr
    acc = float(re.search(r"final training accuracy: ([\d.]+)", result.stdout).group(1))
    assert acc > 0.95, result.stdout


def test_mlp_sgd_progress_bar_only_on_a_terminal(capsys):
    mlp = _load("mlp_sgd")
    mlp.report(5, 10, 0.5, 0.75, on_terminal=True)
    mlp.report(10, 10, 0.25, 0.875, on_terminal=True)
    bar = capsys.readouterr().out
    assert bar.startswith("\r[###############...............] epoch    5/10")
    assert "\r[##############################] epoch   10/10" in bar and bar.endswith("\n")
    mlp.report(5, 10, 0.5, 0.75, on_terminal=False)
    assert capsys.readouterr().out == "epoch    5/10  loss 0.5000  accuracy 0.750\n"
