/**
 * What `bgt show` does once its words are parsed: prints a task's details. Kept apart from the
 * command's definition (`commands/show.ts`) so that `bgt show <id>` without options runs
 * without loading commander (see `main.ts`).
 *
 * @example
 * ```ts
 * await showTask("41", {}); // as `bgt show 41`
 * ```
 */
import { connect } from "../client/client.ts";
import type { HookDelivery } from "../store/hook_store.ts";
import type { StreamWindow } from "../store/task_files.ts";
import { formatDuration } from "../task/duration.ts";
import { type Attempt, describeTask } from "../task/types.ts";
import {
  colorStatus,
  duration,
  localTime,
  printable,
  table,
  taskJson,
  toJson,
  useColor,
} from "./format.ts";
import { attemptJson, iso } from "../task/task_json.ts";
import { parseTaskId } from "./task_ids.ts";
import { formatCpu, formatMemory, tasksUsage, usageJson } from "./task_usage.ts";

export { attemptJson };
import { superviseForRead } from "./with_client.ts";
import { stdout } from "../runtime/std_output.ts";

/** The option values of `bgt show`, as commander hands them over (none by default). */
export interface ShowOptions {
  attempts?: true;
  json?: true;
}

/** Prints the details of the task `idWord` names; see `bgt show --help`. */
export async function showTask(idWord: string, options: ShowOptions): Promise<void> {
  const id = await parseTaskId(idWord);
  const client = await connect();
  try {
    await superviseForRead(client);
    const task = await client.get(id);
    // Each stream's kept window in absolute bytes (start > 0 once --retain dropped some).
    const streams = await client.streams(id);
    const waiting = (await client.whyWaiting(task)) ?? null;
    const attempts = options.attempts ? await client.attempts(id) : undefined;
    const usage = tasksUsage([task], client.home.dir).get(task.id);
    const deliveries = await client.hookDeliveries(id);
    if (options.json) {
      const extra = attempts ? { attempts: attempts.map(attemptJson) } : {};
      const hookDeliveries = deliveries.map(deliveryJson);
      stdout.write(
        `${
          toJson(
            {
              ...taskJson(task),
              usage: usageJson(usage),
              waiting,
              streams,
              ...extra,
              hookDeliveries,
            },
            2,
          )
        }\n`,
      );
      return;
    }
    const now = Date.now();
    const time = (ms: number | null) => (ms === null ? "-" : localTime(ms, { now }));
    const lines: [string, string][] = [
      ["id", String(task.id)],
      [
        "status",
        colorStatus(task.status, useColor()) + (waiting ? ` (${printable(waiting)})` : ""),
      ],
      ["kind", task.kind],
      ["task", describeTask({ name: null, spec: task.spec })],
      ["name", task.name ?? "-"],
      ["group", task.group],
      ["priority", String(task.priority)],
      [
        "attempt",
        task.restart ? String(task.attempt) : `${task.attempt} of ${task.maxAttempts}`,
      ],
      ...(task.maxAttempts > 1
        ? [["backoff", formatDuration(task.backoffMs)] as [string, string]]
        : []),
      ...(task.timeoutMs !== null
        ? [["timeout", formatDuration(task.timeoutMs)] as [string, string]]
        : []),
      ...(task.after.length
        ? [
          [
            "after",
            task.after.map((id) => `#${id}`).join(", ") +
            (task.afterAny ? " (any outcome)" : ""),
          ] as [string, string],
        ]
        : []),
      ...(task.key !== null ? [["key", task.key] as [string, string]] : []),
      ...(task.scheduleId !== null
        ? [["schedule", `#${task.scheduleId}`] as [string, string]]
        : []),
      ...(task.spec.kind === "module" && task.spec.pinned !== undefined
        ? [["pinned", `yes (${task.spec.pinned.length} B of bundled code)`] as [string, string]]
        : []),
      ...(task.spec.kind === "module" && task.spec.carriedHash !== undefined
        ? [[
          "carried",
          `code bundled at submission, sha256 ${
            task.spec.carriedHash.slice(0, 12)
          }… (runs where the file is not)`,
        ] as [string, string]]
        : []),
      ["created", time(task.createdAt)],
      ["run at", time(task.runAt)],
      ["started", time(task.startedAt)],
      ["finished", time(task.finishedAt)],
      [
        "duration",
        task.startedAt ? duration((task.finishedAt ?? now) - task.startedAt) : "-",
      ],
      ["cwd", task.cwd],
      ...(task.host ? [["host", task.host] as [string, string]] : []),
      ...(task.onHost ? [["on", task.onHost] as [string, string]] : []),
      ...(task.needLabels?.length
        ? [["needs", task.needLabels.join(", ")] as [string, string]]
        : []),
      ["pid", task.pid === null ? "-" : String(task.pid)],
      ...(usage
        ? [
          ["cpu", formatCpu(usage.cpuPercent)] as [string, string],
          ["memory", `${formatMemory(usage.rssBytes)} (RSS of its process tree)`] as [
            string,
            string,
          ],
          ["uptime", duration(usage.uptimeMs)] as [string, string],
        ]
        : []),
      ...(task.restart
        ? [
          [
            "restart",
            `${task.restart}, ${task.restarts ?? 0} restart(s) so far${
              task.maxRestarts === null || task.maxRestarts === undefined
                ? ""
                : ` of at most ${task.maxRestarts}`
            }, first delay ${formatDuration(task.restartDelayMs ?? 0)}`,
          ] as [string, string],
        ]
        : []),
      ["exit code", task.exitCode === null ? "-" : String(task.exitCode)],
      ["signal", task.signal ?? "-"],
    ];
    if (task.spec.kind === "module") lines.push(["args", toJson(task.spec.args)]);
    if (task.progress !== null) {
      lines.push([
        "progress",
        `${Math.round(task.progress * 100)}%${
          task.progressMessage ? ` ${task.progressMessage}` : ""
        }`,
      ]);
    }
    if (task.result !== undefined) lines.push(["result", toJson(task.result)]);
    if (task.error) lines.push(["error", `${task.error.name}: ${task.error.message}`]);
    if (Object.keys(task.meta).length) lines.push(["meta", toJson(task.meta)]);
    lines.push([
      "output",
      `stdout ${_window(streams.stdout)}, stderr ${_window(streams.stderr)}, data ${
        _window(streams.data)
      }`,
    ]);
    if (task.retain !== null) lines.push(["retain", `${task.retain} B of each stream`]);
    if (task.stdin) lines.push(["stdin", "yes (bgt send)"]);
    for (const [hook, target] of Object.entries(task.hooks ?? {})) {
      lines.push([`hook ${hook}`, target]);
    }
    for (const delivery of deliveries) {
      lines.push([`delivery ${delivery.hook}`, describeDelivery(delivery, now)]);
    }
    const width = Math.max(...lines.map(([key]) => key.length));
    stdout.write(
      lines.map(([key, value]) =>
        // The status row is coloured (its task text escaped above); the rest is task text.
        `${key.padEnd(width)}  ${key === "status" ? value : printable(value)}`
      ).join("\n") + "\n",
    );
    if (attempts) stdout.write(`\n${renderAttempts(attempts, useColor())}\n`);
  } finally {
    await client.close();
  }
}

/** The attempts table: number, outcome, start, duration, exit code or signal, output slice. */
export function renderAttempts(
  attempts: readonly Attempt[],
  color: boolean,
  now = Date.now(),
): string {
  if (!attempts.length) return "no finished attempts yet";
  const slice = (range: [number, number] | null) =>
    range === null ? "-" : `[${range[0]}, ${range[1]})`;
  return table([
    ["ATTEMPT", "STATUS", "STARTED", "DURATION", "EXIT", "STDOUT", "STDERR", "ERROR"],
    ...attempts.map((attempt) => [
      String(attempt.attempt),
      colorStatus(attempt.status, color),
      attempt.startedAt === null ? "-" : localTime(attempt.startedAt, { now }),
      attempt.startedAt === null || attempt.finishedAt === null
        ? "-"
        : duration(attempt.finishedAt - attempt.startedAt),
      attempt.signal ?? (attempt.exitCode === null ? "-" : String(attempt.exitCode)),
      slice(attempt.slices.stdout),
      slice(attempt.slices.stderr),
      attempt.error ? printable(`${attempt.error.name}: ${attempt.error.message}`) : "",
    ]),
  ]);
}

/** "1234 B", or "1048576 B kept (bytes 1000:1049576)" once --retain dropped the front. */
function _window(window: StreamWindow): string {
  if (window.start === 0) return `${window.limit} B`;
  return `${window.limit - window.start} B kept (bytes ${window.start}:${window.limit})`;
}

/** A delivery in words: `failed exit 0 at 23:10:02 (1 try)`, `pending: HTTP 500 …, next 23:11`. */
export function describeDelivery(delivery: HookDelivery, now = Date.now()): string {
  const time = (ms: number) => localTime(ms, { now });
  const tries = `${delivery.tries} ${delivery.tries === 1 ? "try" : "tries"}`;
  const last = delivery.result === null
    ? "not run yet"
    : `${delivery.result} at ${time(delivery.resultAt ?? now)}`;
  const state = delivery.nextAt === null
    ? (delivery.ok ? "delivered" : "given up")
    : `pending, next try ${time(delivery.nextAt)}`;
  return `on ${delivery.kind} (event ${delivery.eventId}): ${state}; ${last} (${tries})`;
}

/** The stable JSON shape of a hook delivery. */
export function deliveryJson(delivery: HookDelivery): Record<string, unknown> {
  return {
    hook: delivery.hook,
    action: delivery.payload.action,
    target: delivery.payload.target,
    eventId: delivery.eventId,
    kind: delivery.kind,
    tries: delivery.tries,
    ok: delivery.ok,
    result: delivery.result,
    resultAt: iso(delivery.resultAt),
    nextAt: iso(delivery.nextAt),
    doneAt: iso(delivery.doneAt),
  };
}
