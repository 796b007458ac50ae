"""ftrans.dask against in-memory numpy: time and peak memory of one logistic
regression value-and-gradient pass.

Each configuration runs in a fresh subprocess so that its peak resident set
(``ru_maxrss``) is its own; for a LocalCluster the workers' peaks are added to
the client's. Configurations:

- ``numpy``: the data in memory, a hand-written numpy gradient;
- ``ftrans``: the data in memory, ``ftrans.jit(ftrans.value_and_grad(loss))``;
- ``dask-mem``: the in-memory data wrapped with ``da.from_array`` (time only:
  the data is resident anyway);
- ``dask-gen``: the data generated chunk by chunk inside the graph (never
  materialized), which is what an out-of-core run looks like; ``gen-only`` is
  the time of one pass that only generates (and sums) the chunks, so the
  gradient's own cost is the difference;

each with 1 and 2 workers (threads of the threaded scheduler, or processes of
a ``LocalCluster`` on 127.0.0.1).

    python benchmarks/dask_run.py                 # 10^6 x 100 and 10^7 x 100
    python benchmarks/dask_run.py --quick         # 10^5 x 100 only
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT))

CHUNK = 100_000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_case(kind: str, n: int, d: int, workers: int, cluster: bool) -> dict:
    import dask
    import dask.array as da

    import ftrans
    import ftrans.dask
    from out_of_core_logistic import loss, make_block, make_data

    client = lc = None
    if cluster:
        from distributed import Client, LocalCluster
        lc = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None)
        client = Client(lc)
    else:
        dask.config.set(scheduler="threads", num_workers=workers)
    w = np.full(d, 0.01)
    base = _rss_mb()

    def in_memory():  # the same data as make_data's, filled in place
        X, y = np.empty((n, d)), np.empty(n)
        for i, s in enumerate(range(0, n, CHUNK)):
            X[s:s + CHUNK], y[s:s + CHUNK] = make_block(i, min(CHUNK, n - s), d, 0)
        return X, y

    if kind == "numpy":
        X, y = in_memory()

        def step():
            z = X @ w
            value = np.sum(np.logaddexp(0.0, z) - y * z)
            return value, X.T @ (1.0 / (1.0 + np.exp(-z)) - y)
    elif kind == "ftrans":
        X, y = in_memory()
        vg = ftrans.jit(ftrans.value_and_grad(loss))

        def step():
            return vg(w, X, y)
    elif kind == "dask-mem":
        X, y = in_memory()
        dX, dy = da.from_array(X, chunks=(CHUNK, d)), da.from_array(y, chunks=CHUNK)
        vg = ftrans.dask.value_and_grad(loss, batch_argnums=(1, 2))

        def step():
            return vg(w, dX, dy)
    elif kind == "dask-gen":
        dX, dy = make_data(n, d, CHUNK)
        vg = ftrans.dask.value_and_grad(loss, batch_argnums=(1, 2))

        def step():
            return vg(w, dX, dy)
    elif kind == "gen-only":
        dX, dy = make_data(n, d, CHUNK)

        def step():
            return dask.compute(dX.sum(), dy.sum())
    else:
        raise ValueError(kind)

    big = n >= 10**7
    if not big:
        step()  # warm: traces, worker imports (at 10^7 rows one pass dwarfs them)
    times = []
    for _ in range(1 if big else 2):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    peak = _rss_mb()
    workers_peak = 0.0
    if client is not None:
        workers_peak = sum(client.run(_rss_mb).values())
        client.close()
        lc.close()
    return {"time": min(times), "peak_mb": peak, "base_mb": base,
            "workers_mb": workers_peak}


def _spawn(kind, n, d, workers, cluster) -> dict:
    cmd = [sys.executable, __file__, "--case", kind, "--rows", str(n), "--cols", str(d),
           "--workers", str(workers)] + (["--cluster"] if cluster else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), str(ROOT / "examples"), os.environ.get("PYTHONPATH")])))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cluster", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.rows, args.cols, args.workers,
                                  args.cluster)))
        return
    d = args.cols
    plans = []
    for n in ([10**5] if args.quick else [10**6]):
        plans += [(k, n, 1, False) for k in ("numpy", "ftrans")]
        plans += [(k, n, wk, cl) for k in ("dask-mem", "dask-gen", "gen-only")
                  for wk, cl in ((1, False), (2, False), (1, True), (2, True))]
    if not args.quick:
        plans += [("dask-gen", 10**7, wk, cl)
                  for wk, cl in ((1, False), (2, False), (1, True), (2, True))]
        plans += [("gen-only", 10**7, 2, False)]
    print(f"logistic regression value_and_grad, d = {d}, chunks of {CHUNK} rows; "
          f"times are the best of 2 after a warm-up (one cold pass at 10^7 rows); "
          f"peak = max RSS (client + workers)")
    print(f"{'rows':>9} {'data GB':>7} {'config':<9} {'scheduler':<17} {'time s':>8} "
          f"{'peak MB':>8}")
    for kind, n, wk, cl in plans:
        r = _spawn(kind, n, d, wk, cl)
        sched = f"{'LocalCluster' if cl else 'threads'} x{wk}"
        if kind in ("numpy", "ftrans"):
            sched = "in memory"
        if "error" in r:
            print(f"{n:>9} {n * d * 8 / 1e9:>7.2f} {kind:<9} {sched:<17} error: {r['error']}")
            continue
        peak = r["peak_mb"] + r["workers_mb"]
        print(f"{n:>9} {n * d * 8 / 1e9:>7.2f} {kind:<9} {sched:<17} {r['time']:>8.3f} "
              f"{peak:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
