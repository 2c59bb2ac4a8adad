/**
 * Fails when a module imports against the one-way room order of DESIGN §2.
 *
 * Rooms, top to bottom: cli, ui, client, supervisor, ipc, schedule, runner, pool, store, config,
 * task, runtime. (ipc sits below supervisor: both the client and the supervisor speak its
 * protocol; config, the config file, sits below store: the store, the supervisor and the CLI all
 * read it; ui, the dashboard's server, sits above client: it acts through the Client and reads
 * the store.)
 * A file may import its own room or any room below it, never one above.
 *
 * @example
 * ```sh
 * bun scripts/check_layers.ts   # exit 0, or one line per wrong-way import and exit 1
 * ```
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOMS = [
  "cli",
  "ui",
  "client",
  "supervisor",
  "ipc",
  "schedule",
  "runner",
  "pool",
  "store",
  "config",
  "task",
  "runtime",
];
const root = resolve(import.meta.dirname ?? ".", "..");
const src = join(root, "src");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function roomOf(path: string): number {
  const room = relative(src, path).split("/")[0];
  return ROOMS.indexOf(room);
}

const problems: string[] = [];
for (const file of filesUnder(src)) {
  const from = roomOf(file);
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(/(?:from|import\()\s*["'](\.[^"']+)["']/g)) {
    const target = resolve(join(file, ".."), match[1]);
    if (!target.startsWith(src + "/")) {
      problems.push(`${relative(root, file)}: imports ${match[1]}, outside src/`);
      continue;
    }
    const to = roomOf(target);
    if (to < from) {
      problems.push(
        `${relative(root, file)}: room ${ROOMS[from]} imports ${match[1]} of room ${
          ROOMS[to]
        }, which is above it`,
      );
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`layers ok: ${filesUnder(src).length} files, rooms ${ROOMS.join(" > ")}`);
