/**
 * On a shared store (PostgreSQL) a module task carries its code: each module task submitted
 * without `--pin` gets its module bundled at submission (`spec.carried`). The host that runs it
 * runs its local file when that file exists (the unpinned semantics: the file as it is when the
 * task starts), else the carried code (see `carriedInstead` in `src/runner/module_runner.ts`).
 * A file is bundled once per version (path, mtime, size) in this process, so a batch of one
 * file's tasks costs one bundle. A module that cannot be bundled is still submitted, without
 * code carried (it runs only where its file exists), with one warning line per file version.
 *
 * @example
 * ```ts
 * const tasks = await carryModules(prepareTasks(newTasks)); // before store.submit(tasks)
 * ```
 */
import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleModule } from "../runtime/bundle.ts";
import { hasRawBytes } from "../runtime/raw_bytes.ts";
import type { NewTask } from "../task/types.ts";
import { stderr } from "../runtime/std_output.ts";

/** Bundles by file version (`path\0mtime\0size`): undefined when the file cannot be bundled. */
const _bundles = new Map<string, Promise<string | undefined>>();
/** Most file versions remembered (a batch of one module's tasks needs one). */
const BUNDLED_FILES = 64;

/**
 * The tasks with each unpinned module task's code carried (`spec.carried`); other tasks as they
 * are. `warn` gets one line for each file that cannot be bundled.
 *
 * @example
 * ```ts
 * await carryModules([{ spec: { kind: "module", module: "/jobs/a.ts", export: "run", args: [] }, cwd: "/" }]);
 * // [{ spec: { …, carried: "…bundled code…" }, cwd: "/" }]
 * ```
 */
export async function carryModules(
  tasks: readonly NewTask[],
  warn: (line: string) => void = (line) => stderr.write(`${line}\n`),
): Promise<NewTask[]> {
  return await Promise.all(tasks.map(async (task) => {
    const spec = task.spec;
    if (spec?.kind !== "module" || spec.pinned !== undefined || spec.carried !== undefined) {
      return task;
    }
    const path = _localFile(spec.module, task.cwd ?? process.cwd());
    if (path === undefined) return task;
    const carried = await _bundleOnce(path, warn);
    return carried === undefined ? task : { ...task, spec: { ...spec, carried } };
  }));
}

/** The bundle of the file's current version, made once; undefined (and warned) when it fails. */
function _bundleOnce(path: string, warn: (line: string) => void): Promise<string | undefined> {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat?.isFile()) return Promise.resolve(undefined); // prepareTasks refused it already
  const version = `${path}\0${stat.mtimeMs}\0${stat.size}`;
  let bundle = _bundles.get(version);
  if (!bundle) {
    bundle = bundleModule(path).catch((error: Error) => {
      warn(
        `bgt: warning: ${
          error.message.replace(/^Cannot pin/, "Cannot carry the code of")
        }; the task runs only on a host where ${path} exists`,
      );
      return undefined;
    });
    if (_bundles.size >= BUNDLED_FILES) _bundles.delete(_bundles.keys().next().value!);
    _bundles.set(version, bundle);
  }
  return bundle;
}

/** The local file a module specifier names; undefined for a URL or a name that is not UTF-8. */
function _localFile(module: string, cwd: string): string | undefined {
  if (typeof module !== "string" || hasRawBytes(module)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !isAbsolute(module)) {
    if (!module.startsWith("file:")) return undefined;
    return fileURLToPath(module);
  }
  return resolve(cwd, module);
}
