"""gensim peer of bench/item2vec.ts: Word2Vec skip-gram with negative sampling (sg=1, hs=0) on the same
item sentences and hyperparameters, timed; writes the input and output vectors in dense item order
(zeros for items gensim never saw) and prints one JSON line.

  python bench/peers/item2vec_gensim.py --corpus sentences.txt --items 3706 --out DIR \
      --dim 64 --window 5 --negative 5 --power 0.75 --sample 1e-3 --epochs 5 --threads 2 --seed 1

Needs gensim in a venv (bench/item2vec.ts looks for ~/.cache/embrec/gensim-venv/bin/python):
  python3 -m venv ~/.cache/embrec/gensim-venv && ~/.cache/embrec/gensim-venv/bin/pip install gensim==4.4.0
"""
import argparse, json, os, time

import numpy as np
import gensim
from gensim.models import Word2Vec

p = argparse.ArgumentParser()
p.add_argument("--corpus", required=True, help="one sentence per line: space-separated dense item indices")
p.add_argument("--items", type=int, required=True)
p.add_argument("--out", required=True)
p.add_argument("--dim", type=int, default=64)
p.add_argument("--window", type=int, default=5, help="0 = the whole sentence")
p.add_argument("--negative", type=int, default=5)
p.add_argument("--power", type=float, default=0.75)
p.add_argument("--sample", type=float, default=1e-3)
p.add_argument("--lr", type=float, default=0.025)
p.add_argument("--min-lr", type=float, default=1e-4)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()

with open(a.corpus) as f:
    sentences = [line.split() for line in f]
occurrences = sum(len(s) for s in sentences)
longest = max(len(s) for s in sentences)
whole = a.window == 0
model = Word2Vec(
    vector_size=a.dim,
    window=longest if whole else a.window,
    shrink_windows=not whole,
    sg=1,
    hs=0,
    negative=a.negative,
    ns_exponent=a.power,
    sample=a.sample,
    alpha=a.lr,
    min_alpha=a.min_lr,
    min_count=1,
    workers=a.threads,
    seed=a.seed,
    compute_loss=False,
)
t0 = time.perf_counter()
model.build_vocab(sentences)
t1 = time.perf_counter()
model.train(sentences, total_examples=len(sentences), total_words=occurrences, epochs=a.epochs)
t2 = time.perf_counter()

inp = np.zeros((a.items, a.dim), dtype=np.float32)
out = np.zeros((a.items, a.dim), dtype=np.float32)
for key, idx in model.wv.key_to_index.items():
    inp[int(key)] = model.wv.vectors[idx]
    out[int(key)] = model.syn1neg[idx]
os.makedirs(a.out, exist_ok=True)
inp.tofile(os.path.join(a.out, "input.f32"))
out.tofile(os.path.join(a.out, "output.f32"))
print(json.dumps({
    "gensim": gensim.__version__,
    "vocab_s": t1 - t0,
    "train_s": t2 - t1,
    "items": occurrences * a.epochs,
    "items_per_s": occurrences * a.epochs / (t2 - t1),
    "longest": longest,
}))
