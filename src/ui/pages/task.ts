/**
 * A task's page: its spec, cwd, environment (names only: values are hidden), dependencies,
 * attempts, result, error, why it waits and its progress (the live region), its actions, and
 * the tails of stdout, stderr and data, which the script extends from their byte offsets.
 *
 * @example
 * ```ts
 * const page = await taskPage(context, 42); // undefined: no such task
 * ```
 */
import type { StreamName } from "../../store/task_files.ts";
import { toJson } from "../../task/task_json.ts";
import { isTerminal, type Task } from "../../task/types.ts";
import { type Html, html } from "../html.ts";
import { readLogChunk, tailStart } from "../log_chunk.ts";
import type { PageContext } from "../page_context.ts";
import { actionButton, csrfField, span, statusPill, when } from "./layout.ts";

/** The page's two parts: the live region and the log tails below it. */
export interface TaskPage {
  title: string;
  body: Html;
  logs: Html;
}

/** The page of task `id`, or undefined when there is none. */
export async function taskPage(context: PageContext, id: number): Promise<TaskPage | undefined> {
  const task = await context.store.get(id);
  if (!task) return undefined;
  const [endedAttempts, waiting, deps] = await Promise.all([
    context.store.attempts(id),
    context.client.whyWaiting(task),
    task.after.length
      ? context.store.list({ ids: task.after, limit: task.after.length, newestFirst: false })
      : Promise.resolve([]),
  ]);
  const { now } = context;
  const ended = isTerminal(task.status);
  // The attempts table holds ended attempts: the one that runs now is the task itself.
  const attempts = [...endedAttempts];
  if ((task.status === "running" || task.status === "paused") && task.startedAt !== null) {
    if (!attempts.some((attempt) => attempt.attempt === task.attempt)) {
      attempts.push({
        attempt: task.attempt,
        status: task.status,
        startedAt: task.startedAt,
        finishedAt: null,
        exitCode: null,
        signal: null,
        error: null,
        pid: task.pid,
        result: undefined,
        slices: { stdout: null, stderr: null, data: null },
      });
    }
  }
  const title = task.name ?? `#${task.id}`;
  const body = html`<div data-task-state="${task.status}" data-ended="${ended ? "1" : "0"}">
<h1>#${task.id} ${task.name ?? ""} ${statusPill(task.status)}${
    context.readOnly ? "" : html`<span class="actions">${actions(task, context)}</span>`
  }</h1>
${waiting ? html`<div class="flash">Waiting: ${waiting}</div>` : ""}
${
    task.progress !== null
      ? html`<div class="card"><progress max="1" value="${task.progress}"></progress> ${
        Math.round(task.progress * 100)
      }% ${task.progressMessage ?? ""}</div>`
      : ""
  }
${task.error ? html`<pre class="error">${task.error.name}: ${task.error.message}</pre><br>` : ""}
<div class="grid">
<section class="card"><h2>Task</h2><dl class="props">
<dt>kind</dt><dd>${task.kind}</dd>
<dt>${task.spec.kind === "module" ? "module" : "command"}</dt><dd>${specText(task)}</dd>
<dt>cwd</dt><dd>${task.cwd}</dd>
<dt>group</dt><dd><a href="/tasks?group=${encodeURIComponent(task.group)}">${task.group}</a></dd>
<dt>priority</dt><dd>${task.priority}</dd>
<dt>attempt</dt><dd>${task.attempt} of ${task.maxAttempts}</dd>
${
    task.key !== null
      ? html`
        <dt>key</dt>
        <dd>${task.key}</dd>
      `
      : ""
  }
${
    task.scheduleId !== null
      ? html`
        <dt>schedule</dt>
        <dd><a href="/tasks?schedule=${task.scheduleId}">#${task.scheduleId}</a></dd>
      `
      : ""
  }
${
    task.timeoutMs !== null
      ? html`
        <dt>timeout</dt>
        <dd>${span(task.timeoutMs)}</dd>
      `
      : ""
  }
${
    task.pid !== null
      ? html`
        <dt>pid</dt>
        <dd>${task.pid}</dd>
      `
      : ""
  }
${
    task.exitCode !== null || task.signal !== null
      ? html`
        <dt>exit</dt>
        <dd>${task.exitCode ?? ""}${task.signal ? ` (${task.signal})` : ""}</dd>
      `
      : ""
  }
</dl></section>
<section class="card"><h2>Times</h2><dl class="props">
<dt>created</dt><dd>${when(task.createdAt, now)}</dd>
<dt>run at</dt><dd>${when(task.runAt, now)}</dd>
<dt>started</dt><dd>${when(task.startedAt, now)}</dd>
<dt>finished</dt><dd>${when(task.finishedAt, now)}</dd>
${
    task.startedAt
      ? html`
        <dt>duration</dt>
        <dd>${span((task.finishedAt ?? now) - task.startedAt)}</dd>
      `
      : ""
  }
</dl></section>
</div>
<div class="grid">
<section class="card"><h2>Dependencies</h2>${
    deps.length
      ? html`
        <table>
          <tbody>${deps.map((dep) =>
            html`
              <tr>
                <td><a href="/tasks/${dep.id}">#${dep.id}</a></td>
                <td>${statusPill(dep.status)}</td>
                <td class="cmd">${dep.name ?? specText(dep)}</td>
              </tr>
            `
          )}</tbody>
        </table>${task.afterAny ? html`<p class="muted">runs after any outcome</p>` : ""}
      `
      : html`<p class="muted">none</p>`
  }</section>
<section class="card"><h2>Environment</h2>${envNames(task)}${
    Object.keys(task.meta).length
      ? html`
        <h2>Meta</h2>
        <pre>${toJson(task.meta, 2)}</pre>
      `
      : ""
  }</section>
</div>
${
    task.result !== undefined && task.result !== null
      ? html`
        <section class="card">
          <h2>Result</h2>
          <pre>${toJson(task.result, 2)}</pre>
        </section>
      `
      : ""
  }
<section class="card"><h2>Attempts</h2>${
    attempts.length
      ? html`
        <table>
          <thead>
            <tr>
              <th class="num">#</th>
              <th>outcome</th>
              <th>started</th>
              <th class="num">duration</th>
              <th>exit</th>
              <th>error</th>
            </tr>
          </thead>
          <tbody>${attempts.map((attempt) =>
            html`
              <tr>
                <td class="num">${attempt.attempt}</td>
                <td>${statusPill(attempt.status)}</td>
                <td>${when(attempt.startedAt, now)}</td>
                <td class="num">${attempt.startedAt
                  ? span((attempt.finishedAt ?? now) - attempt.startedAt)
                  : "–"}</td>
                <td>${attempt.exitCode ?? ""}${attempt.signal ? ` ${attempt.signal}` : ""}</td>
                <td>${attempt.error?.message ?? ""}</td>
              </tr>
            `
          )}</tbody>
        </table>
      `
      : html`<p class="muted">not started yet</p>`
  }</section>
</div>`;
  // A task that ran under another home (a shared store): its shipped output, copied here.
  await context.client.files(task.id);
  return { title, body, logs: logTails(task, context) };
}

/** The environment's names, values hidden (they may hold secrets), folded when there are many. */
function envNames(task: Task): Html {
  const names = Object.keys(task.env).sort();
  if (!names.length) return html`<p class="muted">none captured</p>`;
  const chips = html`<div class="chips">${names.map((name) => html`<code>${name}</code>`)}</div>`;
  const summary = `${names.length} variable${names.length === 1 ? "" : "s"}, values hidden`;
  return names.length <= 8
    ? html`<p class="muted">${summary}</p>${chips}`
    : html`<details><summary>${summary}</summary>${chips}</details>`;
}

function specText(task: Pick<Task, "spec">): string {
  const spec = task.spec;
  if (spec.kind === "command") return spec.argv.join(" ");
  if (spec.kind === "shell") return spec.line;
  return `${spec.module}#${spec.export}(${toJson(spec.args)})`;
}

function actions(task: Task, context: PageContext): Html {
  const base = `/tasks/${task.id}`;
  const csrf = context.csrf;
  const buttons: Html[] = [];
  if (!isTerminal(task.status)) {
    buttons.push(actionButton(`${base}/kill`, "Kill", csrf, { danger: true }));
  }
  if (task.status === "running") buttons.push(actionButton(`${base}/pause`, "Pause", csrf));
  if (task.status === "paused") buttons.push(actionButton(`${base}/resume`, "Resume", csrf));
  if (isTerminal(task.status)) buttons.push(actionButton(`${base}/restart`, "Restart", csrf));
  if (task.status !== "running" && task.status !== "paused") {
    buttons.push(actionButton(`${base}/rm`, "Remove", csrf, { danger: true }));
  }
  return html`${buttons}`;
}

/** The three streams' tails, each extended live by the script from its `data-offset`. */
function logTails(task: Task, context: PageContext): Html {
  const files = context.client.filesSeen(task.id);
  const streams: StreamName[] = ["stdout", "stderr", "data"];
  const send =
    !context.readOnly && task.stdin && (task.status === "running" || task.status === "paused")
      ? html`
        <section class="card">
          <h2>Send to stdin</h2>
          <form method="post"
            action="/tasks/${task.id}/send">${csrfField(
              context.csrf,
            )}<textarea name="input" rows="3" placeholder="text to write to the task's standard input"></textarea>
        <div class="actions"><label><input type="checkbox" name="eof" value="1"> then close its input</label>
        <button type="submit" class="primary">Send</button></div></form>
        </section>
      `
      : "";
  return html`${send}${
    streams.map((stream) => {
      const chunk = readLogChunk(files, stream, tailStart(files, stream), {
        ended: isTerminal(task.status),
      });
      const src = `/api/tasks/${task.id}/logs?stream=${stream}`;
      return html`
        <section class="card">
          <h2>${stream} <a class="download" href="${src}&amp;from=${chunk
            .start}&amp;raw=1">download</a></h2>
          <pre class="log${chunk.text ? "" : " empty"}" id="log-${stream}" data-src="${src}"
            data-offset="${chunk.to}">${chunk.text}</pre>
        </section>
      `;
    })
  }`;
}
