{
  "variables": {
    "faiss_src%": "<!(node -p \"process.env.EMBREC_FAISS_SRC||''\")",
    "faiss_lib%": "<!(node -p \"process.env.EMBREC_FAISS_LIB||''\")"
  },
  "targets": [
    {
      "target_name": "embrec_native",
      "sources": ["<!@(node -e \"console.log(require('fs').readdirSync('src/cc').filter(f=>f.endsWith('.cc')).map(f=>'src/cc/'+f).join(' '))\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src/cc",
        "<!(node -p \"try{require('path').join(require('path').dirname(require.resolve('hnswlib-node/package.json')),'src')}catch(e){'src/cc'}\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-O3", "-march=x86-64-v2", "-std=c++17", "-fopenmp", "-fexceptions"],
      "ldflags": ["-fopenmp"],
      "conditions": [
        ["faiss_src==''", {
          "ldflags": [
            "-Wl,--wrap=_ZN5faiss18fvec_inner_productEPKfS1_m", "-Wl,--wrap=_ZN5faiss10fvec_L2sqrEPKfS1_m",
            "-Wl,--wrap=_ZN5faiss15fvec_norm_L2sqrEPKfm", "-Wl,--wrap=_ZN5faiss22fvec_inner_products_nyEPfPKfS2_mm",
            "-Wl,--wrap=_ZN5faiss13fvec_L2sqr_nyEPfPKfS2_mm"],
          "libraries": [
            "-Wl,--whole-archive", "/usr/lib/x86_64-linux-gnu/libfaiss.a", "-Wl,--no-whole-archive",
            "-lopenblas", "-llapack", "-lgomp"
          ]
        }, {
          "include_dirs": ["<(faiss_src)"],
          "cflags_cc!": ["-std=c++17"],
          "cflags_cc": ["-std=c++20"],
          "defines": ["EMBREC_FAISS_SOURCE_BUILD"],
          "libraries": [
            "-Wl,--whole-archive", "<(faiss_lib)", "-Wl,--no-whole-archive",
            "-lopenblas", "-llapack", "-lgomp"
          ]
        }]
      ]
    }
  ]
}
