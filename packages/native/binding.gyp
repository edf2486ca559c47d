{
  "targets": [
    {
      "target_name": "embrec_native",
      "sources": ["<!@(node -e \"console.log(require('fs').readdirSync('src/cc').filter(f=>f.endsWith('.cc')).map(f=>'src/cc/'+f).join(' '))\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src/cc"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-O3", "-march=x86-64-v2", "-std=c++17", "-fopenmp", "-fexceptions"],
      "ldflags": ["-fopenmp"],
      "libraries": [
        "-Wl,--whole-archive", "/usr/lib/x86_64-linux-gnu/libfaiss.a", "-Wl,--no-whole-archive",
        "-lopenblas", "-llapack", "-lgomp"
      ]
    }
  ]
}
