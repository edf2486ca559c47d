"""Peer of bench/faiss-node-vs-python.ts: searches a FAISS index file written by the Node binding.

Reads the index with faiss.read_index and raw float32 queries, sets the same search parameter
(nprobe or efSearch) and OpenMP thread count, times batch-1 and batch-B search loops, and writes the
labels of the batch-B pass (int64 raw) so the Node side can check that both return the same results.
Prints one JSON line.
"""

import argparse
import json
import time

import faiss
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--d", type=int, required=True)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--param", required=True, help="nprobe=16 or efSearch=64")
    ap.add_argument("--single", type=int, default=1000, help="queries searched one at a time")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--labels-out", required=True)
    a = ap.parse_args()

    faiss.omp_set_num_threads(a.threads)
    index = faiss.read_index(a.index)
    q = np.fromfile(a.queries, dtype=np.float32).reshape(-1, a.d)
    name, value = a.param.split("=")
    if name == "nprobe":
        params = faiss.SearchParametersIVF(nprobe=int(value))
    else:
        params = faiss.SearchParametersHNSW(efSearch=int(value))
        # FAISS 1.7.3's IndexHNSW::search ignores SearchParametersHNSW.efSearch and reads the
        # index's own field (checked: its results equal efSearch=16), so set the field as well.
        faiss.ParameterSpace().set_index_parameter(index, "efSearch", int(value))

    def single():
        for i in range(a.single):
            index.search(q[i : i + 1], a.k, params=params)

    labels = np.empty((q.shape[0], a.k), dtype=np.int64)

    def batched():
        for s in range(0, q.shape[0], a.batch):
            _, lab = index.search(q[s : s + a.batch], a.k, params=params)
            labels[s : s + a.batch] = lab

    def best(fn):
        """Best wall time of the repeats, and the best process CPU time (robust to a loaded machine)."""
        fn()  # warm-up
        wall, cpu = [], []
        for _ in range(a.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        return min(wall), min(cpu)

    t1, c1 = best(single)
    tb, cb = best(batched)
    labels.tofile(a.labels_out)
    print(
        json.dumps(
            {
                "faiss": faiss.__version__,
                "qps1": a.single / t1,
                "qpsBatch": q.shape[0] / tb,
                "cpuQps1": a.single / c1,
                "cpuQpsBatch": q.shape[0] / cb,
            }
        )
    )


if __name__ == "__main__":
    main()
