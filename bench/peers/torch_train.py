"""PyTorch peer of bench/train-epoch.ts: the same ID two-tower (embedding tables, L2-normalised
outputs, in-batch softmax with logQ correction and temperature, Adam) on the same LightGCN-format
data, timed per training step on the CPU; prints one JSON line. `--history g` adds the SimpleX-style
user tower of embrec's `model.user.history` (mean, weight g): g·U[u] + (1 − g)·mean(I[history of u
without the row's positive]), an `embedding_bag` over bags built per step (a user whose history is
empty keeps U[u]).

  python bench/peers/torch_train.py --data <folder> --batch 1024 --dim 64 --steps 100 --threads 2
"""
import argparse, json, math, os, time

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--batch", type=int, default=1024)
p.add_argument("--dim", type=int, default=64)
p.add_argument("--steps", type=int, default=100)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--tau", type=float, default=0.1)
p.add_argument("--lr", type=float, default=0.005)
p.add_argument("--sparse", action="store_true", help="sparse embedding gradients + SparseAdam")
p.add_argument("--history", type=float, default=None, help="user history mean pooling with this weight g")
p.add_argument("--pool", type=int, default=0, help="uniform negatives shared by the batch (mixed sampling)")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)

users, items = [], []
with open(os.path.join(a.data, "train.txt")) as f:
    for line in f:
        xs = line.split()
        if len(xs) < 2:
            continue
        u = int(xs[0])
        for x in xs[1:]:
            users.append(u)
            items.append(int(x))
users = np.asarray(users, dtype=np.int64)
items = np.asarray(items, dtype=np.int64)
nu, ni = int(users.max()) + 1, int(items.max()) + 1
counts = np.bincount(items, minlength=ni).astype(np.float64)
logq = torch.tensor(np.log(np.maximum(counts, 1e-3) / counts.sum()), dtype=torch.float32)

U = torch.nn.Embedding(nu, a.dim, sparse=a.sparse)
I = torch.nn.Embedding(ni, a.dim, sparse=a.sparse)
torch.nn.init.normal_(U.weight, std=0.1)
torch.nn.init.normal_(I.weight, std=0.1)
params = list(U.parameters()) + list(I.parameters())
opt = torch.optim.SparseAdam(params, lr=a.lr) if a.sparse else torch.optim.Adam(params, lr=a.lr)

n = len(users)
perm = torch.randperm(n).numpy()
# per-user training items (CSR) for the history bags
by_user = np.argsort(users, kind="stable")
hist_items = items[by_user]
indptr = np.zeros(nu + 1, dtype=np.int64)
np.add.at(indptr, users + 1, 1)
indptr = np.cumsum(indptr)


def user_vectors(bu, bi):
    own = U(bu)
    if a.history is None:
        return own
    bu_np, bi_np = bu.numpy(), bi.numpy()
    lens = indptr[bu_np + 1] - indptr[bu_np]
    row = np.repeat(np.arange(len(bu_np)), lens)
    flat = hist_items[np.repeat(indptr[bu_np] - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())]
    keep = flat != bi_np[row]  # the row's positive is left out of its own history
    flat, row = flat[keep], row[keep]
    counts = np.bincount(row, minlength=len(bu_np))
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pooled = torch.nn.functional.embedding_bag(torch.from_numpy(flat), I.weight, torch.from_numpy(offsets),
                                               mode="mean", sparse=a.sparse)
    g = torch.from_numpy(np.where(counts > 0, a.history, 1.0).astype(np.float32))[:, None]
    return g * own + (1 - g) * pooled
steps_per_epoch = math.ceil(n / a.batch)


def step(s):
    idx = perm[(s * a.batch) % n : (s * a.batch) % n + a.batch]
    bu = torch.from_numpy(users[idx])
    bi = torch.from_numpy(items[idx])
    q = torch.nn.functional.normalize(user_vectors(bu, bi), dim=1)
    pv = torch.nn.functional.normalize(I(bi), dim=1)
    logits = q @ pv.T / a.tau - (logq[bi] + math.log(len(idx)))[None, :]
    same = (bi[None, :] == bi[:, None]) & ~torch.eye(len(idx), dtype=torch.bool)
    logits = logits.masked_fill(same, -1e9)
    if a.pool > 0:  # shared uniform negatives: logQ = log(1/ni) + log(pool), the row's own positive masked
        neg = torch.randint(ni, (a.pool,))
        nv = torch.nn.functional.normalize(I(neg), dim=1)
        extra = q @ nv.T / a.tau - (math.log(a.pool) - math.log(ni))
        extra = extra.masked_fill(neg[None, :] == bi[:, None], -1e9)
        logits = torch.cat([logits, extra], dim=1)
    loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(idx)))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss)


for s in range(5):  # warm-up
    step(s)
t0 = time.perf_counter()
for s in range(a.steps):
    last = step(s + 5)
ms = (time.perf_counter() - t0) * 1000 / a.steps
print(json.dumps({"pool": a.pool, "peer": f"pytorch {torch.__version__} ({'SparseAdam' if a.sparse else 'Adam'}{', history' if a.history is not None else ''})", "msPerStep": ms,
                  "stepsPerEpoch": steps_per_epoch, "secondsPerEpoch": ms * steps_per_epoch / 1000, "loss": last,
                  "threads": a.threads}))
