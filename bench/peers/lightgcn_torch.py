"""PyTorch peer of bench/lightgcn-epoch.ts: the same LightGCN (He et al. 2020) on the same
LightGCN-format folder, on the CPU. Ego embeddings N(0, 0.1²) [users + items, d]; K layers of
torch.sparse.mm over D^-1/2 A D^-1/2 (A binary, users first); final = mean of layers 0..K; BPR with one
uniform negative per training pair (shuffled pairs, batches of --batch, as embrec's trainer and
sampler); L2 λ/2·(‖u⁰‖² + ‖i⁰‖² + ‖j⁰‖²)/B on the batch's ego rows (LightGCN's reg_loss); dense Adam.
Times --steps training steps after --warm warm-up steps, then one full-ranking evaluation of all
test users (one propagation, scores in user batches, training items masked, top-20, Recall@20 and
NDCG@20). Prints one JSON line.

  pip install torch numpy
  python bench/peers/lightgcn_torch.py --data <folder> --batch 2048 --dim 64 --layers 2 --steps 20
"""
import argparse, json, math, os, resource, time

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--batch", type=int, default=2048)
p.add_argument("--dim", type=int, default=64)
p.add_argument("--layers", type=int, default=2)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warm", type=int, default=3)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--l2", type=float, default=1e-4)
p.add_argument("--layout", choices=["coo", "csr"], default="coo", help="sparse layout of the adjacency")
p.add_argument("--eval-batch", type=int, default=2048)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
rng = np.random.default_rng(1)


def read(name):
    us, its = [], []
    path = os.path.join(a.data, name)
    if not os.path.exists(path):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    with open(path) as f:
        for line in f:
            xs = line.split()
            if len(xs) < 2:
                continue
            u = int(xs[0])
            for x in xs[1:]:
                us.append(u)
                its.append(int(x))
    return np.asarray(us, np.int64), np.asarray(its, np.int64)


tu, ti = read("train.txt")
vu, vi = read("valid.txt")
su, si = read("test.txt")
# ID spaces over all files of the split (data README)
nu = int(max(tu.max(), vu.max(initial=0), su.max())) + 1
ni = int(max(ti.max(), vi.max(initial=0), si.max())) + 1
n = nu + ni

# Â = D^-1/2 A D^-1/2 over the binary bipartite graph
pairs = np.unique(tu * ni + ti)
pu, pi = pairs // ni, pairs % ni
deg = np.bincount(pu, minlength=nu).astype(np.float64)
deg = np.concatenate([deg, np.bincount(pi, minlength=ni).astype(np.float64)])
dinv = np.where(deg > 0, deg ** -0.5, 0.0)
rows = np.concatenate([pu, nu + pi])
cols = np.concatenate([nu + pi, pu])
vals = (dinv[rows] * dinv[cols]).astype(np.float32)
graph = torch.sparse_coo_tensor(torch.from_numpy(np.stack([rows, cols])), torch.from_numpy(vals), (n, n)).coalesce()
if a.layout == "csr":
    graph = graph.to_sparse_csr()

ego = torch.nn.Parameter(torch.randn(n, a.dim) * 0.1)
opt = torch.optim.Adam([ego], lr=a.lr)


def propagate(e0):
    x, out = e0, e0
    for _ in range(a.layers):
        x = torch.sparse.mm(graph, x)
        out = out + x
    return out / (a.layers + 1)


m = len(tu)
perm = rng.permutation(m)
steps_per_epoch = math.ceil(m / a.batch)


def step(s):
    idx = perm[(s * a.batch) % m:][: a.batch]
    u = torch.from_numpy(tu[idx])
    i = torch.from_numpy(ti[idx]) + nu
    j = torch.from_numpy(rng.integers(0, ni, len(idx))) + nu
    final = propagate(ego)
    eu, ei, ej = final[u], final[i], final[j]
    loss = torch.nn.functional.softplus((eu * ej).sum(1) - (eu * ei).sum(1)).mean()
    reg = 0.5 * (ego[u].pow(2).sum() + ego[i].pow(2).sum() + ego[j].pow(2).sum()) / len(idx)
    opt.zero_grad()
    (loss + a.l2 * reg).backward()
    opt.step()
    return float(loss)


for s in range(a.warm):
    first = step(s)
t0, c0 = time.perf_counter(), time.process_time()
for s in range(a.warm, a.warm + a.steps):
    step(s)
ms_per_step = (time.perf_counter() - t0) * 1000 / a.steps
cpu_ms_per_step = (time.process_time() - c0) * 1000 / a.steps

# full-ranking evaluation of all test users: one propagation, then user batches
train_by_user = [[] for _ in range(nu)]
for u, i in zip(pu.tolist(), pi.tolist()):
    train_by_user[u].append(i)
test_by_user = {}
for u, i in zip(su.tolist(), si.tolist()):
    test_by_user.setdefault(u, []).append(i)
users = np.array(sorted(test_by_user), np.int64)
disc = 1.0 / np.log2(np.arange(2, 22))
t1, c1 = time.perf_counter(), time.process_time()
with torch.no_grad():
    final = propagate(ego)
    U, I = final[:nu], final[nu:]
    rec, ndcg = 0.0, 0.0
    for b in range(0, len(users), a.eval_batch):
        bu = users[b : b + a.eval_batch]
        scores = U[torch.from_numpy(bu)] @ I.T
        ru = np.concatenate([[r] * len(train_by_user[u]) for r, u in enumerate(bu)]).astype(np.int64)
        ci = np.concatenate([train_by_user[u] for u in bu]).astype(np.int64)
        scores[torch.from_numpy(ru), torch.from_numpy(ci)] = -float("inf")
        top = torch.topk(scores, 20, dim=1).indices.numpy()
        for r, u in enumerate(bu):
            rel = set(test_by_user[u])
            hits = np.fromiter((x in rel for x in top[r]), bool, 20)
            rec += hits.sum() / len(rel)
            ndcg += (hits * disc).sum() / disc[: min(len(rel), 20)].sum()
eval_s = time.perf_counter() - t1
eval_cpu = time.process_time() - c1
print(
    json.dumps(
        {
            "peer": f"pytorch {torch.__version__} torch.sparse.mm ({a.layout})",
            "msPerStep": ms_per_step,
            "cpuMsPerStep": cpu_ms_per_step,
            "secondsPerEpoch": ms_per_step * steps_per_epoch / 1000,
            "firstLoss": first,
            "evalSeconds": eval_s,
            "evalCpuSeconds": eval_cpu,
            "recall": rec / len(users),
            "ndcg": ndcg / len(users),
            "testUsers": int(len(users)),
            "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )
)
