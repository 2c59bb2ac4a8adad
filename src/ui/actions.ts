/**
 * The dashboard's actions, each a form post answered with 303 See Other back to a page (so they
 * work without JavaScript): a task's kill, pause, resume, restart, rm and send; bulk kill,
 * restart and rm of selected tasks; a schedule's pause, resume, run now and rm; a group's
 * pause, resume and parallel limit. Every one goes through the Client, as the CLI's do.
 *
 * @example
 * ```ts
 * const { back, message } = await runAction(context, "/tasks/4/kill", form);
 * ```
 */
import type { ControlResult } from "../client/client.ts";
import type { PageContext } from "./page_context.ts";

/** Where to send the browser after an action, and what to tell it. */
export interface ActionOutcome {
  back: string;
  message: string;
  error?: boolean;
}

/** Thrown for a POST path that is no action (404). */
export class UnknownActionError extends Error {}

/** Runs the action of a POST path with its form fields. */
export async function runAction(
  context: PageContext,
  path: string,
  form: URLSearchParams,
): Promise<ActionOutcome> {
  const { client } = context;
  const back = safeBack(form.get("back"));
  const task = /^\/tasks\/(\d+)\/(kill|pause|resume|restart|rm|send)$/.exec(path);
  if (task) {
    const id = Number(task[1]);
    const verb = task[2];
    const page = back ?? `/tasks/${id}`;
    if (verb === "send") {
      const text = (form.get("input") ?? "").replace(/\r\n/g, "\n");
      const eof = form.get("eof") === "1";
      const input = new TextEncoder().encode(text && !text.endsWith("\n") ? `${text}\n` : text);
      await client.send(id, input, { eof });
      return {
        back: page,
        message: `sent ${input.length} bytes to #${id}${eof ? " and closed its input" : ""}`,
      };
    }
    const [result] = await _each(context, verb, [id]);
    if (!result.ok) return { back: page, message: result.error.message, error: true };
    if (verb === "rm") return { back: back ?? "/tasks", message: `removed #${id}` };
    return {
      back: page,
      message: result.already ? `#${id} was already ${result.already}` : `${_past(verb)} #${id}`,
    };
  }
  if (path === "/tasks/bulk") {
    const verb = form.get("action") ?? "";
    if (!["kill", "restart", "rm"].includes(verb)) {
      return { back: back ?? "/tasks", message: `unknown bulk action '${verb}'`, error: true };
    }
    const ids = form.getAll("id").filter((id) => /^\d+$/.test(id)).map(Number);
    if (!ids.length) {
      return { back: back ?? "/tasks", message: "select some tasks first", error: true };
    }
    const results = await _each(context, verb, ids);
    const done = results.filter((result) => result.ok).length;
    const failed = results.flatMap((result) => (result.ok ? [] : [result.error.message]));
    return {
      back: back ?? "/tasks",
      message: `${_past(verb)} ${done} of ${ids.length}${failed.length ? `; ${failed[0]}` : ""}`,
      error: failed.length > 0,
    };
  }
  const schedule = /^\/schedules\/(\d+)\/(pause|resume|run|rm)$/.exec(path);
  if (schedule) {
    const id = Number(schedule[1]);
    const page = back ?? "/schedules";
    switch (schedule[2]) {
      case "pause":
        await client.pauseSchedule(id);
        return { back: page, message: `paused schedule ${id}` };
      case "resume":
        await client.resumeSchedule(id);
        return { back: page, message: `resumed schedule ${id}` };
      case "run": {
        const found = await client.getSchedule(id);
        const [taskId] = await client.submit([{ ...found.template, scheduleId: id }]);
        return { back: page, message: `schedule ${id} runs now as #${taskId}` };
      }
      default: {
        const removal = await client.removeSchedule(id);
        return {
          back: page,
          message: `removed schedule ${id}${
            removal.canceled.length ? `, canceled ${removal.canceled.length} waiting runs` : ""
          }`,
        };
      }
    }
  }
  const group = /^\/groups\/([^/]+)\/(pause|resume|parallel)$/.exec(path);
  if (group) {
    const name = decodeURIComponent(group[1]);
    const page = back ?? "/groups";
    if (group[2] === "parallel") {
      const text = (form.get("parallel") ?? "").trim();
      if (!/^(\d+|global)$/.test(text) || text === "0") {
        return {
          back: page,
          message: `parallel: expected a number ≥ 1 or 'global', got '${text}'`,
          error: true,
        };
      }
      const parallel = text === "global" ? null : Number(text);
      await client.setGroup(name, { parallel });
      return { back: page, message: `group ${name} runs ${parallel ?? "under the global limit"}` };
    }
    await client.setGroup(name, { paused: group[2] === "pause" });
    return { back: page, message: `${group[2] === "pause" ? "paused" : "resumed"} group ${name}` };
  }
  throw new UnknownActionError(`no action at ${path}`);
}

async function _each(context: PageContext, verb: string, ids: number[]): Promise<ControlResult[]> {
  const { client } = context;
  switch (verb) {
    case "kill":
      return await client.killEach(ids);
    case "pause":
      return await client.pauseEach(ids);
    case "resume":
      return await client.resumeEach(ids);
    case "restart":
      return await client.restartEach(ids);
    default:
      return await client.removeEach(ids);
  }
}

function _past(verb: string): string {
  return {
    kill: "killed",
    pause: "paused",
    resume: "resumed",
    restart: "restarted",
    rm: "removed",
  }[verb] ?? verb;
}

/**
 * A `back` field that stays on this server, else undefined: a path, never `//other.host` nor
 * `/\other.host` (browsers read a backslash as a slash).
 *
 * @example
 * ```ts
 * safeBack("/tasks?state=running"); // "/tasks?state=running"
 * safeBack("/\\evil.example"); // undefined
 * ```
 */
export function safeBack(back: string | null | undefined): string | undefined {
  return back && back.startsWith("/") && !back.startsWith("//") && !back.includes("\\")
    ? back
    : undefined;
}
