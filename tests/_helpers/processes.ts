/**
 * Child processes for end-to-end and browser tests: run a command without blocking the event
 * loop (a proxy or a server in the test goes on meanwhile), start `bgt ui` and read the URL it
 * prints, stop a child (SIGTERM, then SIGKILL) and wait for it, pick a free TCP port, and find
 * the process groups of a home's tasks (which outlive `bgt daemon stop`, by design). Free
 * of the test runner and of `bgt_home.ts`, so that the browser tests' bundle for Node can use it.
 *
 * @example
 * ```ts
 * const result = await runAsync(BGT, ["ls"], { env: home.env(), cwd: home.work });
 * const { url, child } = await startBgtUi(BGT, ["--listen", "127.0.0.1:0"], { env, cwd });
 * await stopChild(child);
 * ```
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** What a finished command wrote and how it exited (128 when killed by a signal). */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where and how a child runs. */
export interface ChildOptions {
  env: Record<string, string>;
  cwd: string;
}

/**
 * Runs `file` with `words` to its end without blocking the event loop.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runAsync("/bin/echo", ["hi"], { env: {}, cwd: "/" });
 * ```
 */
export function runAsync(file: string, words: string[], options: ChildOptions): Promise<RunResult> {
  const child = spawn(file, words, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

/** A started `bgt ui`: its sign-in URL, the process, and what it wrote on stderr so far. */
export interface StartedUi {
  url: string;
  child: ChildProcess;
  stderr(): string;
}

/** Where `bgt ui` runs, and how long it may take to print its URL (default 20 s). */
export interface UiOptions extends ChildOptions {
  timeoutMs?: number;
}

/**
 * Starts `bgt ui` with these words; resolves once it printed its sign-in URL (rejects when it
 * exits first, or after `timeoutMs`, when it is stopped).
 *
 * @example
 * ```ts
 * const { url } = await startBgtUi(BGT, ["--read-only"], { env: home.env(), cwd: home.work });
 * ```
 */
export function startBgtUi(
  bgt: string,
  words: string[],
  { timeoutMs = 20_000, ...options }: UiOptions,
): Promise<StartedUi> {
  const child = spawn(bgt, ["ui", ...words], { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (chunk) => (err += chunk));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM"); // not left running by a failed test
      reject(new Error(`bgt ui printed no URL in ${timeoutMs / 1000} s: ${err}`));
    }, timeoutMs);
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const line = /^(http:\/\/\S+)\n/.exec(out);
      if (line) {
        clearTimeout(timer);
        resolve({ url: line[1], child, stderr: () => err });
      }
    });
    child.on("exit", (code) => reject(new Error(`bgt ui exited ${code}: ${err}`)));
  });
}

/**
 * Ends a child that still runs, by its pid: SIGTERM, then SIGKILL if it has not exited after
 * `graceMs`; resolves once it has exited.
 *
 * @example
 * ```ts
 * await stopChild(child);
 * ```
 */
export async function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * A TCP port of 127.0.0.1 that was free a moment ago (for a server that must be restarted on the
 * same port).
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The process groups of the tasks a home (`BGT_HOME`) ran, from their `logs/<id>/pid` records:
 * what a test kills at its end, since a command keeps running through `bgt daemon stop`.
 */
export function taskProcessGroups(home: string): number[] {
  const logs = join(home, "logs");
  if (!existsSync(logs)) return [];
  const groups: number[] = [];
  for (const id of readdirSync(logs)) {
    try {
      groups.push(JSON.parse(readFileSync(join(logs, id, "pid"), "utf8")).pid);
    } catch { /* no process recorded */ }
  }
  return groups;
}
