/**
 * The code module tasks carry on a shared store, kept once per bundle: a submission stores each
 * distinct bundle in `carried_code` (keyed by its SHA-256) and the task's spec only names it
 * (`carriedHash`), so a batch of 10,000 tasks of one 70 KB module writes 70 KB of code, not
 * 700 MB, and lists never read it. A claim gives the code back (`spec.carried`) to the
 * supervisor that runs the task. Housekeeping deletes bundles no task names any more (after a
 * day, so a submission in flight never loses the bundle it names).
 *
 * @example
 * ```ts
 * const { tasks, codes } = carriedApart(newTasks); // spec.carried → spec.carriedHash
 * await keepCarriedCode(tx, codes);                 // in the submission's transaction
 * const claimed = await withCarriedCode(sql, tasks); // spec.carried back, for the runner
 * ```
 */
import { sha256Hex } from "../../runtime/sha256.ts";
import type { NewTask, Task } from "../../task/types.ts";
import type { Sql, TransactionSql } from "./postgres_connection.ts";

/** A bundle to keep: its SHA-256 (hex) and its code. */
export interface CarriedCode {
  hash: string;
  code: string;
}

/** How long an unnamed bundle stays (ms): longer than any submission's transaction. */
export const CARRIED_CODE_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * The tasks with each carried bundle replaced by its hash, and the distinct bundles to keep.
 *
 * @example
 * ```ts
 * carriedApart([{ spec: { kind: "module", module: "/a.ts", export: "run", args: [], carried: "…" } }]);
 * // { tasks: [{ spec: { …, carriedHash: "9f86…" } }], codes: [{ hash: "9f86…", code: "…" }] }
 * ```
 */
export function carriedApart(
  tasks: readonly NewTask[],
): { tasks: NewTask[]; codes: CarriedCode[] } {
  const codes = new Map<string, string>();
  const hashes = new Map<string, string>(); // code → hash: a batch of one module hashes once
  const apart = tasks.map((task) => {
    if (task.spec.kind !== "module" || task.spec.carried === undefined) return task;
    const { carried, ...spec } = task.spec;
    let hash = hashes.get(carried);
    if (hash === undefined) {
      hash = sha256Hex(carried);
      hashes.set(carried, hash);
      codes.set(hash, carried);
    }
    return { ...task, spec: { ...spec, carriedHash: hash } };
  });
  return { tasks: apart, codes: [...codes].map(([hash, code]) => ({ hash, code })) };
}

/** Stores the bundles (a known one gets a new time, so housekeeping keeps it). */
export async function keepCarriedCode(
  tx: Sql | TransactionSql,
  codes: readonly CarriedCode[],
): Promise<void> {
  if (codes.length) await keepCarriedCodeSql(tx, codes);
}

/** The INSERT of {@linkcode keepCarriedCode}, to run alone or as a statement's CTE. */
export function keepCarriedCodeSql(tx: Sql | TransactionSql, codes: readonly CarriedCode[]) {
  return tx`INSERT INTO carried_code (hash, code, at)
    SELECT c.hash, c.code, now_ms() FROM jsonb_to_recordset(${tx.json(codes as any)})
      AS c(hash text, code text)
    ON CONFLICT (hash) DO UPDATE SET at = excluded.at
    RETURNING hash`;
}

/** The tasks with the code their specs name put back (`spec.carried`), for running them. */
export async function withCarriedCode(sql: Sql | TransactionSql, tasks: Task[]): Promise<Task[]> {
  const hashes = new Set<string>();
  for (const { spec } of tasks) {
    if (spec.kind === "module" && spec.carriedHash && spec.carried === undefined) {
      hashes.add(spec.carriedHash);
    }
  }
  if (!hashes.size) return tasks;
  const rows = await sql`SELECT hash, code FROM carried_code WHERE hash = ANY (${[...hashes]})`;
  const code = new Map(rows.map((row) => [row.hash as string, row.code as string]));
  return tasks.map((task) => {
    const { spec } = task;
    if (spec.kind !== "module" || !spec.carriedHash || !code.has(spec.carriedHash)) return task;
    return { ...task, spec: { ...spec, carried: code.get(spec.carriedHash) } };
  });
}

/** Deletes the bundles no task names that are older than the grace; how many went. */
export async function pruneCarriedCode(sql: Sql): Promise<number> {
  const rows = await sql`DELETE FROM carried_code c
    WHERE c.at < now_ms() - ${CARRIED_CODE_GRACE_MS}
      AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.carried_hash = c.hash)`;
  return rows.count;
}
