"""Peer of bench/eval-fullrank.ts: the same full-ranking protocol in NumPy (or PyTorch when installed).

Reads LightGCN-format train/test files and raw float32 embeddings; masks each user's training items,
takes the top 20 over all items, and averages Recall@20 (hits / |test|) and NDCG@20 (binary, ideal DCG
over min(|test|, 20)) over users with test items. Prints one JSON line.
"""

import argparse
import json
import os
import resource
import time

import numpy as np


def read_lists(path):
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) > 1:
                out[int(parts[0])] = np.array([int(x) for x in parts[1:]], dtype=np.int64)
    return out


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--users", required=True)
    ap.add_argument("--items", required=True)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--k", type=int, default=20)
    a = ap.parse_args()
    train = read_lists(os.path.join(a.data, "train.txt"))
    test = read_lists(os.path.join(a.data, "test.txt"))
    U = np.fromfile(a.users, dtype=np.float32).reshape(-1, a.dim)
    I = np.fromfile(a.items, dtype=np.float32).reshape(-1, a.dim)
    users = np.array(sorted(test), dtype=np.int64)
    k = a.k
    disc = 1.0 / np.log2(np.arange(2, k + 2))

    try:
        import torch

        torch.set_num_threads(a.threads)
        impl = f"PyTorch {torch.__version__}"
        It = torch.from_numpy(I)

        def topk(ub):
            s = torch.from_numpy(U[ub]) @ It.T  # [B, n]
            for r, u in enumerate(ub):
                s[r, torch.from_numpy(train.get(int(u), np.zeros(0, np.int64)))] = -float("inf")
            return torch.topk(s, k, dim=1).indices.numpy()

    except ImportError:
        impl = f"NumPy {np.__version__}"

        def topk(ub):
            s = U[ub] @ I.T  # [B, n]
            for r, u in enumerate(ub):
                s[r, train.get(int(u), np.zeros(0, np.int64))] = -np.inf
            part = np.argpartition(-s, k, axis=1)[:, :k]
            order = np.argsort(-np.take_along_axis(s, part, axis=1), axis=1, kind="stable")
            return np.take_along_axis(part, order, axis=1)

    def run():
        recall = ndcg = 0.0
        for b0 in range(0, len(users), a.batch):
            ub = users[b0 : b0 + a.batch]
            top = topk(ub)
            for r, u in enumerate(ub):
                rel = test[int(u)]
                hits = np.isin(top[r], rel)
                recall += hits.sum() / len(rel)
                idcg = disc[: min(len(rel), k)].sum()
                ndcg += (hits * disc).sum() / idcg
        return recall / len(users), ndcg / len(users)

    run()  # warm-up, as the Node side
    c0, t0 = cpu_seconds(), time.perf_counter()
    recall, ndcg = run()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    print(json.dumps({"impl": impl, "wall": wall, "cpu": cpu, "users": len(users), "recall": recall, "ndcg": ndcg}))


if __name__ == "__main__":
    main()
