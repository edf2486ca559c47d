/**
 * NPY format version 1.0 (numpy.lib.format): magic `\x93NUMPY`, version 1 0, a little-endian
 * uint16 header length, an ASCII dict header padded with spaces to a multiple of 64 bytes and
 * ending in a newline, then the C-order data. `numpy.load` reads what `npyBytes` writes.
 */
import { DataError } from '../errors.ts';

export type NpyArray = Float32Array | Float64Array | Int32Array;

const DTYPES = { '<f4': Float32Array, '<f8': Float64Array, '<i4': Int32Array } as const;
type Dtype = keyof typeof DTYPES;

function dtypeOf(a: NpyArray): Dtype {
  if (a instanceof Float32Array) return '<f4';
  if (a instanceof Float64Array) return '<f8';
  return '<i4';
}

/** The .npy bytes of a C-order array of the given shape (`[n]` or `[n, dim]`). */
export function npyBytes(data: NpyArray, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new Error(`npy: shape (${shape.join(', ')}) holds ${count} values, found ${data.length}`);
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtypeOf(data)}', 'fortran_order': False, 'shape': ${dims}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64);
  header += '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Parses .npy bytes (version 1-3, little-endian float32/float64/int32, C order); `path` names errors. */
export function parseNpy(buf: Uint8Array, path: string): { data: NpyArray; shape: number[] } {
  const text = (from: number, to: number) => String.fromCharCode(...buf.subarray(from, to));
  if (buf.length < 10 || buf[0] !== 0x93 || text(1, 6) !== 'NUMPY') {
    throw new DataError(`${path}: not a .npy file (the magic string \\x93NUMPY is missing)`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const major = buf[6]!;
  const start = major === 1 ? 10 : 12;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const header = new TextDecoder().decode(buf.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!(descr in DTYPES)) {
    throw new DataError(
      `${path}: header "descr" must be one of ${Object.keys(DTYPES).join(', ')}, found '${descr}'`,
    );
  }
  if (fortran !== 'False') throw new DataError(`${path}: header "fortran_order" must be False (C order)`);
  if (shapeText === undefined) throw new DataError(`${path}: header has no "shape"`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const Ctor = DTYPES[descr as Dtype];
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (buf.length - offset !== count * Ctor.BYTES_PER_ELEMENT) {
    throw new DataError(
      `${path}: header shape (${shape.join(', ')}) with descr '${descr}' needs ${count * Ctor.BYTES_PER_ELEMENT} bytes after the header, found ${buf.length - offset}`,
    );
  }
  const data = new Ctor(count);
  new Uint8Array(data.buffer).set(buf.subarray(offset));
  return { data, shape };
}
