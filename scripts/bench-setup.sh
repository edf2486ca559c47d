#!/usr/bin/env bash
# Installs the Python peers the benchmarks run beside embrec (docs/benchmarks.md), each in its own venv
# under ~/.cache/embrec (where the benchmarks look for them), from PyPI:
#   bench-venv    numpy scipy threadpoolctl faiss-cpu hnswlib torch   the peers bench/*.ts start with
#                                                                     plain Python (ANN, evaluation, EASE,
#                                                                     training, LightGCN, FAISS); the
#                                                                     benches use it when it exists
#                                                                     (EMBREC_BENCH_PYTHON overrides)
#   gensim-venv   gensim==4.4.0                                       bench/item2vec.ts
#   sklearn-venv  scikit-learn                                        bench/tsne.ts
#   serve-venv    fastapi uvicorn faiss-cpu numpy                     bench/serve.ts
#   faiss173      faiss-cpu==1.7.3 "numpy<2" (pip --target; only with --faiss173)
#                                                                     bench/faiss-node-vs-python.ts --faiss173
# A venv whose packages already import is left as it is, so running this again is cheap.
#   --torch-cpu   take PyTorch from download.pytorch.org/whl/cpu (the CPU-only wheel, ~200 MB) instead
#                 of PyPI's default wheel, which pulls the CUDA libraries (several GB). That index is
#                 not PyPI: use it only where your network rules allow it.
#   --faiss173    also install FAISS 1.7.3 (the version Debian's libfaiss-dev ships) for the same-version peers.
# Needs python3 with venv (Debian: apt-get install python3-venv). The test suite does not run this:
# there every bench runs with EMBREC_BENCH_SMOKE=1, without its peer.
set -euo pipefail

say() { printf '\033[1mbench-setup:\033[0m %s\n' "$*"; }

torch_cpu=0
faiss173=0
for a in "$@"; do
  case "$a" in
    --torch-cpu) torch_cpu=1 ;;
    --faiss173) faiss173=1 ;;
    -h | --help)
      sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      say "unknown option $a (expected --torch-cpu, --faiss173)"
      exit 2
      ;;
  esac
done

cache="$HOME/.cache/embrec"
if ! command -v python3 >/dev/null 2>&1; then
  say "python3 is not installed; install it (Debian: apt-get install python3 python3-venv) and run this again."
  exit 1
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  say "python3 cannot make venvs (the venv/ensurepip modules are missing)."
  say "install them (Debian: apt-get install python3-venv) and run this again."
  exit 1
fi
mkdir -p "$cache"

# venv NAME "import check" pip-args…
venv() {
  local name="$1" check="$2"
  shift 2
  local dir="$cache/$name"
  if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" >/dev/null 2>&1; then
    say "$name: already set up ($dir)"
    return
  fi
  say "$name: creating $dir and installing $* (from PyPI; this can take minutes)"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --upgrade pip
  "$dir/bin/pip" install --quiet "$@"
  "$dir/bin/python" -c "$check" || {
    say "$name: installed, but \`$check\` still fails in $dir/bin/python"
    exit 1
  }
}

torch_args=(torch)
if [ "$torch_cpu" = 1 ]; then
  torch_args=(--extra-index-url https://download.pytorch.org/whl/cpu torch)
fi
venv bench-venv 'import numpy, scipy, threadpoolctl, faiss, hnswlib, torch' \
  numpy scipy threadpoolctl faiss-cpu hnswlib "${torch_args[@]}"
venv gensim-venv 'import gensim' gensim==4.4.0
venv sklearn-venv 'import sklearn' scikit-learn numpy
venv serve-venv 'import fastapi, uvicorn, faiss, numpy' fastapi uvicorn faiss-cpu numpy

if [ "$faiss173" = 1 ]; then
  dir="$cache/faiss173"
  if PYTHONPATH="$dir" "$cache/bench-venv/bin/python" -c 'import faiss; assert faiss.__version__ == "1.7.3"' >/dev/null 2>&1; then
    say "faiss173: already set up ($dir)"
  else
    say "faiss173: pip install --target $dir faiss-cpu==1.7.3 numpy<2 (needs a Python that has its wheels, ≤ 3.11)"
    "$cache/bench-venv/bin/pip" install --quiet --target "$dir" "faiss-cpu==1.7.3" "numpy<2"
  fi
fi

say "done. The benchmarks find these venvs themselves; run one with e.g."
say "  nice -n 10 node --conditions=source --import tsx bench/eval-fullrank.ts --threads 2"
say "(EMBREC_BENCH_SMOKE=1 runs any of them at tiny sizes without its peer, as the tests do.)"
