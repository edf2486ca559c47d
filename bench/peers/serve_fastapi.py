"""Python peer of `embrec serve` for bench/serve.ts: the same recommend route over the same bundle.

FastAPI under uvicorn (one worker per core), faiss reading the bundle's own index file
(index/index.faiss, written by embrec's FAISS binding) with the same nprobe, user vectors from
embeddings/users.npy, each user's seen items from history/*.i32 (over-fetched and filtered as
embrec does), names from items.json.

Setup:  python3 -m venv ~/.cache/embrec/serve-venv
        ~/.cache/embrec/serve-venv/bin/pip install fastapi uvicorn faiss-cpu numpy
Run:    EMBREC_BUNDLE=<bundle> ~/.cache/embrec/serve-venv/bin/python -m uvicorn serve_fastapi:app \
            --app-dir bench/peers --host 127.0.0.1 --port 8090 --workers 2 --log-level warning
"""

import json
import os
from typing import List, Optional, Union

import faiss
import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

BUNDLE = os.environ["EMBREC_BUNDLE"]
faiss.omp_set_num_threads(1)


def _json(rel):
    with open(os.path.join(BUNDLE, rel), encoding="utf8") as f:
        return json.load(f)


users = np.load(os.path.join(BUNDLE, "embeddings", "users.npy"))
user_ids = _json("ids/users.json")
user_row = {u: i for i, u in enumerate(user_ids)}
item_ids = _json("ids/items.json")
names = [i.get("name") for i in _json("items.json")]
indptr = np.fromfile(os.path.join(BUNDLE, "history", "indptr.i32"), dtype="<i4")
indices = np.fromfile(os.path.join(BUNDLE, "history", "indices.i32"), dtype="<i4")
meta = _json("index/meta.json")
metric = meta["metric"]
index = faiss.read_index(os.path.join(BUNDLE, "index", "index.faiss"))
nprobe = meta.get("params", {}).get("nprobe")
if nprobe is not None:
    faiss.extract_index_ivf(index).nprobe = int(nprobe)

app = FastAPI()


class RecommendBody(BaseModel):
    user: str = Field(min_length=1, max_length=512)
    k: int = Field(default=20, ge=1, le=200)
    excludeSeen: bool = True
    rerank: Optional[Union[bool, List[str]]] = None


@app.post("/v1/recommend")
def recommend(body: RecommendBody):
    u = user_row.get(body.user)
    if u is None:
        raise HTTPException(status_code=404, detail=f'unknown user "{body.user}"')
    q = users[u : u + 1].copy()
    if metric == "cosine":
        faiss.normalize_L2(q)
    seen = indices[indptr[u] : indptr[u + 1]] if body.excludeSeen else indices[:0]
    fetch = min(body.k + len(seen), index.ntotal)
    scores, ids = index.search(q, fetch)
    seen_set = set(seen.tolist())
    items = []
    for s, i in zip(scores[0].tolist(), ids[0].tolist()):
        if i < 0 or i in seen_set:
            continue
        items.append(
            {
                "id": item_ids[i],
                "name": names[i],
                "score": -s if metric == "l2" else s,
                "stage": "retrieval",
            }
        )
        if len(items) == body.k:
            break
    return {"source": "model", "user": body.user, "items": items}


@app.get("/ready")
def ready():
    return {"ready": True, "items": int(index.ntotal)}
