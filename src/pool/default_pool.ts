/**
 * The shared pool that {@linkcode task} uses (seed 004's `bg`).
 *
 * @module
 */
import { Pool } from "./pool.ts";

let _pool: Pool | undefined;
let _size: number | undefined;

/**
 * Returns the default pool, creating it on first use (size: {@linkcode setPoolSize}, or the
 * available cores).
 *
 * @example
 * ```ts
 * import { defaultPool } from "./default_pool.ts";
 * await defaultPool().run(() => 1);
 * ```
 */
export function defaultPool(): Pool {
  if (_pool === undefined) _pool = new Pool(_size === undefined ? {} : { size: _size });
  return _pool;
}

/**
 * Sets the size of the default pool (seed 004's `bg.n = 110`); resizes it if it runs.
 *
 * @param n Workers, an integer ≥ 1.
 * @throws {RangeError} When `n` is not an integer ≥ 1.
 *
 * @example
 * ```ts
 * import { setPoolSize } from "./default_pool.ts";
 * setPoolSize(110);
 * ```
 */
export function setPoolSize(n: number): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot set the pool size: expected an integer ≥ 1, got ${String(n)}`);
  }
  _size = n;
  _pool?.resize(n);
}
