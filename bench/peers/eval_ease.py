"""Peer of bench/eval-ease.ts: EASE^R fit in NumPy, as in Steck's reference code (float32 here).

G = XᵀX (scipy.sparse), P = inv(G + λI), B = −P / diag(P), diag(B) = 0. Prints one JSON line with the
wall and CPU seconds of the Gram matrix and of the inverse + weights.
"""

import argparse
import json
import os
import resource
import time

import numpy as np
import scipy.sparse as sp


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def read_matrix(folder):
    rows, cols = [], []
    n_items = 0
    for name in ("train.txt", "valid.txt", "test.txt"):
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                parts = [int(x) for x in line.split()]
                if len(parts) > 1:
                    n_items = max(n_items, max(parts[1:]) + 1)
                    if name == "train.txt":
                        rows.extend([parts[0]] * (len(parts) - 1))
                        cols.extend(parts[1:])
    n_users = max(rows) + 1
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--lam", type=float, default=500.0)
    a = ap.parse_args()
    X = read_matrix(a.data)
    c0, t0 = cpu_seconds(), time.perf_counter()
    G = (X.T @ X).toarray().astype(np.float32)
    gram_wall, gram_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    c0, t0 = cpu_seconds(), time.perf_counter()
    G[np.diag_indices_from(G)] += a.lam
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))
    B[np.diag_indices_from(B)] = 0
    inv_wall, inv_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    print(
        json.dumps(
            {
                "impl": f"NumPy {np.__version__}",
                "items": int(X.shape[1]),
                "gram_wall": gram_wall,
                "gram_cpu": gram_cpu,
                "inv_wall": inv_wall,
                "inv_cpu": inv_cpu,
                "checksum": float(np.abs(B).sum()),
            }
        )
    )


if __name__ == "__main__":
    main()
