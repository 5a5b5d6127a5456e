// The configs the benchmarks run, as plain objects (no imports: bench/serve.ts parses them with
// the runtime it runs, the compiled dist/ or the TypeScript source).
import { join } from 'node:path';

/** `devices` motion sensors, 5 to a resident (the shape of a real home), each with its own secret */
export function benchConfigInput(dir: string, devices: number, sync: 'normal' | 'full', extra: Record<string, unknown> = {}) {
  const residents = [];
  for (let r = 0; r * 5 < devices; r++) {
    residents.push({
      id: `r-${r}`, name: `Resident ${r}`, timezone: 'Asia/Shanghai',
      contacts: [{ name: `Neighbor ${r}`, phone: `+86138${String(r).padStart(8, '0')}`, role: 'neighbor' }],
      devices: Array.from({ length: Math.min(5, devices - r * 5) }, (_, i) => ({ id: `dev${r * 5 + i}`, kind: 'motion', secret: `secret-dev${r * 5 + i}` })),
    });
  }
  return {
    mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 },
    storage: { path: join(dir, 'bench.db'), sync }, residents, ...extra,
  };
}
