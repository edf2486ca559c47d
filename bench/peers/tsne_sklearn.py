"""Peer of bench/tsne.ts: scikit-learn's TSNE (Barnes-Hut) on the same points, and
sklearn.manifold.trustworthiness of its map (and of embrec's map when --other is given).

Input: a float32 row-major file of n × dim points. Prints one JSON line:
{"seconds": wall seconds of fit_transform, "trustworthiness": T(k) of sklearn's map,
 "other_trustworthiness": T(k) of the map in --other (float64 n × 2), "sklearn": version}.
Setup: python3 -m venv ~/.cache/embrec/sklearn-venv && ~/.cache/embrec/sklearn-venv/bin/pip install scikit-learn
"""

import argparse
import json
import time

import numpy as np
import sklearn
from sklearn.manifold import TSNE, trustworthiness

p = argparse.ArgumentParser()
p.add_argument("--input", required=True)
p.add_argument("--dim", type=int, required=True)
p.add_argument("--perplexity", type=float, default=30.0)
p.add_argument("--iterations", type=int, default=1000)
p.add_argument("--k", type=int, default=5)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--out", help="write sklearn's map here (float64 n × 2)")
p.add_argument("--other", help="a map (float64 n × 2) to score with sklearn's trustworthiness")
p.add_argument("--no-fit", action="store_true", help="only score --other")
a = p.parse_args()

X = np.fromfile(a.input, dtype=np.float32).reshape(-1, a.dim)
res = {"n": int(X.shape[0]), "sklearn": sklearn.__version__}
if not a.no_fit:
    t0 = time.perf_counter()
    Y = TSNE(
        n_components=2,
        perplexity=a.perplexity,
        max_iter=a.iterations,
        learning_rate="auto",
        init="pca",
        method="barnes_hut",
        random_state=a.seed,
    ).fit_transform(X)
    res["seconds"] = time.perf_counter() - t0
    res["trustworthiness"] = float(trustworthiness(X, Y, n_neighbors=a.k))
    if a.out:
        Y.astype(np.float64).tofile(a.out)
if a.other:
    O = np.fromfile(a.other, dtype=np.float64).reshape(-1, 2)
    res["other_trustworthiness"] = float(trustworthiness(X, O, n_neighbors=a.k))
print(json.dumps(res))
