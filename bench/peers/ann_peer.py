#!/usr/bin/env python
"""Peer for bench/ann-1m.ts: the benchmark data of /work/shared/bench/ann_anchor.py (same generator,
seeds and distribution, imported from it) and faiss / hnswlib timings in Python on the same vectors.

    python bench/peers/ann_peer.py data  --n 1000000 --d 128 --nq 2000 --cache bench/.cache
    python bench/peers/ann_peer.py peers --n 1000000 --d 128 --nq 2000 --cache bench/.cache --out peers.json

`data` writes <cache>/ann_<tag>/{xb,xq}.npy (float32) and gt.npy (int32 exact inner-product top-100,
faiss IndexFlatIP); `peers` times faiss (Flat, IVF-Flat, IVF-PQ fast-scan + refine, HNSW32) and
hnswlib (M=32) with the anchor's own timing functions and writes one JSON row per setting.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.environ.get("EMBREC_BENCH_ANCHOR", "/work/shared/bench"))
import ann_anchor as A  # noqa: E402  (the data spec and timing helpers)
import faiss  # noqa: E402


def tag_of(a):
    return f"n{a.n}_d{a.d}_q{a.nq}_K{a.clusters}_s{a.seed}"


def make_data(a):
    out = os.path.join(a.cache, f"ann_{tag_of(a)}")
    if all(os.path.exists(os.path.join(out, f)) for f in ("xb.npy", "xq.npy", "gt.npy")):
        print(f"[data] cached in {out}", flush=True)
        return out
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    A.set_threads(1)
    m = A.make_mixture(a.d, a.clusters, a.seed)
    xb = A.sample_mixture(m, a.n, a.seed + 1)
    xq = A.sample_mixture(m, a.nq, a.seed + 2)
    print(f"[data] generated in {time.perf_counter() - t0:.1f}s", flush=True)
    A.set_threads(2)
    flat = faiss.IndexFlatIP(a.d)
    flat.add(xb)
    gt = np.empty((a.nq, 100), np.int32)
    for s in range(0, a.nq, 1024):
        gt[s:s + 1024] = flat.search(xq[s:s + 1024], 100)[1]
    np.save(os.path.join(out, "xb.npy"), xb)
    np.save(os.path.join(out, "xq.npy"), xq)
    np.save(os.path.join(out, "gt.npy"), gt)
    print(f"[data] ground truth done, {time.perf_counter() - t0:.1f}s -> {out}", flush=True)
    return out


def cached(path, build):
    if os.path.exists(path):
        meta = json.load(open(path + ".json"))
        return faiss.read_index(path), meta["build_s"]
    A.set_threads(2)
    t0 = time.perf_counter()
    idx = build()
    b = time.perf_counter() - t0
    faiss.write_index(idx, path)
    json.dump({"build_s": b}, open(path + ".json", "w"))
    return idx, b


def run_peers(a):
    d = make_data(a)
    xb, xq, gt = np.load(os.path.join(d, "xb.npy")), np.load(os.path.join(d, "xq.npy")), np.load(os.path.join(d, "gt.npy"))
    skip = set(filter(None, a.skip.split(",")))
    modes = a.modes.split(",")
    rows = []

    def run(lib, method, params, search, build_s, k=100, lib_threads=None):
        # lib_threads: the library's own thread setting (hnswlib's set_num_threads), which
        # A.set_threads (OpenMP/BLAS pools) does not reach
        row = dict(lib=lib, method=method, params=params, k=k, build_s=build_s)
        A.set_threads(2)
        if lib_threads:
            lib_threads(2)
        _, _, I = A.time_batched(search, xq, k, 256, 0, 2, max_q=a.nq_eval)
        row["recall"] = A.recall(I, gt[:len(I)].astype(np.int64), k)
        for m in modes:
            bs, th = (1 if m.startswith("b1_") else 256), int(m[-2])
            A.set_threads(th)
            if lib_threads:
                lib_threads(th)
            if bs == 1:
                w, c = A.time_single(search, xq, k, a.min_time, 5, 1, th)
            else:
                w, c, _ = A.time_batched(search, xq, k, 256, a.min_time, th)
            row[f"qps_{m}"], row[f"cpuqps_{m}"] = w, c
        rows.append(row)
        print(f"[peer] {lib:8s} {method:26s} {params:16s} R@{k}={row['recall']:.4f} " +
              " ".join(f"{m}={row['qps_' + m]:.0f}" for m in modes), flush=True)

    n, dim, nlist = a.n, a.d, a.nlist
    cdir = os.path.join(a.cache, f"ann_{tag_of(a)}")
    fs = lambda idx: (lambda x, k: idx.search(x, k)[1])  # noqa: E731
    if "exact" not in skip:
        flat = faiss.IndexFlatIP(dim)
        flat.add(xb)
        run("faiss", "Flat", "", fs(flat), 0.0)
    if "ivfflat" not in skip:
        def b_ivf():
            idx = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            idx.cp.max_points_per_centroid = 64
            idx.train(xb)
            idx.add(xb)
            return idx
        ivf, b = cached(os.path.join(cdir, f"py_IVF{nlist}_Flat.faiss"), b_ivf)
        for p in [int(x) for x in a.nprobe.split(",")]:
            ivf.nprobe = p
            run("faiss", f"IVF{nlist},Flat", f"nprobe={p}", fs(ivf), b)
    if "ivfpq" not in skip:
        def b_pq():
            idx = faiss.index_factory(dim, f"IVF{nlist},PQ{dim // 4}x4fs,RFlat", faiss.METRIC_INNER_PRODUCT)
            ivfp = faiss.extract_index_ivf(idx)
            ivfp.cp.max_points_per_centroid = 64
            idx.train(xb)
            idx.add(xb)
            return idx
        pq, b = cached(os.path.join(cdir, f"py_IVF{nlist}_PQfs_RFlat.faiss"), b_pq)
        ivfp = faiss.extract_index_ivf(pq)
        for kf in [int(x) for x in a.kfactor.split(",")]:
            for p in [int(x) for x in a.nprobe.split(",")]:
                ivfp.nprobe = p
                pq.k_factor = kf
                run("faiss", f"IVF{nlist},PQ{dim // 4}x4fs,RFlat", f"nprobe={p},kFactor={kf}", fs(pq), b)
    if "hnsw" not in skip:
        def b_h():
            idx = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            idx.hnsw.efConstruction = a.faiss_efc
            idx.add(xb)
            return idx
        h, b = cached(os.path.join(cdir, f"py_HNSW32_efc{a.faiss_efc}.faiss"), b_h)
        for ef in [int(x) for x in a.ef.split(",")]:
            h.hnsw.efSearch = ef
            run("faiss", f"HNSW32 efc{a.faiss_efc}", f"efSearch={ef}", fs(h), b)
    if "hnswlib" not in skip:
        import hnswlib
        path = os.path.join(cdir, f"hnswlib_M32_efc{a.efc}.bin")
        p = hnswlib.Index(space="ip", dim=dim)
        t0 = time.perf_counter()
        if os.path.exists(path):
            p.load_index(path)
            b = json.load(open(path + ".json"))["build_s"]
        else:
            p.init_index(max_elements=n, M=32, ef_construction=a.efc, random_seed=100)
            p.set_num_threads(2)
            p.add_items(xb)
            b = time.perf_counter() - t0
            p.save_index(path)
            json.dump({"build_s": b}, open(path + ".json", "w"))

        def hs(x, k):
            return p.knn_query(x, k=k)[0]
        for ef in [int(x) for x in a.ef.split(",")]:
            p.set_ef(ef)
            run("hnswlib", "HNSW M=32", f"efSearch={ef}", hs, b, lib_threads=p.set_num_threads)
    json.dump(rows, open(a.out, "w"), indent=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["data", "peers"])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--d", type=int, default=128)
    p.add_argument("--nq", type=int, default=2000)
    p.add_argument("--nq-eval", type=int, default=1000)
    p.add_argument("--clusters", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--nlist", type=int, default=4096)
    p.add_argument("--nprobe", default="16,32,64,128,256")
    p.add_argument("--ef", default="128,256,512")
    p.add_argument("--efc", type=int, default=200)  # hnswlib's efConstruction
    # FAISS HNSW's efConstruction: 40 is index_factory's default, which embrec's `faiss` index builds with
    p.add_argument("--faiss-efc", type=int, default=40)
    p.add_argument("--kfactor", default="4")  # IVF-PQ refine: kFactor · k candidates re-ranked exactly
    p.add_argument("--modes", default="b1_1t,b256_1t,b256_2t")
    p.add_argument("--min-time", type=float, default=0.5)
    p.add_argument("--skip", default="")
    p.add_argument("--cache", default="bench/.cache")
    p.add_argument("--out", default="bench/.cache/peers.json")
    a = p.parse_args()
    if a.cmd == "data":
        make_data(a)
    else:
        run_peers(a)


if __name__ == "__main__":
    main()
