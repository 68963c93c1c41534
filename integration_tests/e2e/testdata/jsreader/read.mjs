// Prints every row of a Parquet file as one JSON line, each value tagged
// with its kind so that the Go test can compare it with DuckDB's reading
// exactly: i: integer, f: float, b: boolean, s: text, x: bytes (hex),
// t: microseconds since the epoch (timestamps and dates). Reads with
// hyparquet, a pure JavaScript Parquet implementation.
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'

const parsers = {
  timestampFromMilliseconds: v => ({ t: BigInt(v) * 1000n }),
  timestampFromMicroseconds: v => ({ t: BigInt(v) }),
  timestampFromNanoseconds: v => ({ t: BigInt(v) / 1000n }),
  dateFromDays: v => ({ t: BigInt(v) * 86400000000n }),
  stringFromBytes: b => b && new TextDecoder().decode(b),
  jsonFromBytes: b => b && new TextDecoder().decode(b),
}

function tag(v) {
  if (v === null || v === undefined) return null
  switch (typeof v) {
  case 'bigint': return 'i:' + v.toString()
  case 'number': return Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < 2 ** 31 ? 'i:' + v : 'f:' + String(v)
  case 'boolean': return 'b:' + v
  case 'string': return 's:' + v
  }
  if (v instanceof Uint8Array) return 'x:' + Buffer.from(v).toString('hex')
  if (Array.isArray(v)) return v.map(tag)
  if (typeof v.t === 'bigint' && Object.keys(v).length === 1) return 't:' + v.t.toString()
  if (typeof v.s === 'string' && Object.keys(v).length === 1) return 's:' + v.s
  const out = {}
  for (const k of Object.keys(v).sort()) out[k] = tag(v[k])
  return out
}

const file = await asyncBufferFromFile(process.argv[2])
const rows = await parquetReadObjects({ file, parsers, utf8: false })
for (const r of rows) {
  const out = {}
  for (const k of Object.keys(r)) out[k] = tag(r[k])
  process.stdout.write(JSON.stringify(out) + '\n')
}
