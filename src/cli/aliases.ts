/**
 * Other names of `bgt` commands, pueue's and pm2's habits among them: a call's first word is
 * replaced by its alias's words before parsing (`bgt follow 7` is `bgt logs -f 7`).
 *
 * @example
 * ```ts
 * expandAlias(["stop", "7"]); // ["kill", "7"]
 * ```
 */

/** Each alias and the words it stands for. */
export const ALIASES: Readonly<Record<string, readonly string[]>> = {
  list: ["ls"],
  status: ["ls"],
  schedule: ["schedules"],
  groups: ["group"],
  add: ["run"],
  stop: ["kill"],
  log: ["logs"],
  follow: ["logs", "-f"],
  delete: ["rm"],
  remove: ["rm"],
};

/** The aliases help lists as habits of other tools. */
export const HABIT_ALIASES: readonly string[] = [
  "status",
  "add",
  "stop",
  "log",
  "follow",
  "delete",
];

/** The words with the first one's alias replaced by its command's words (`help stop` too). */
export function expandAlias(words: readonly string[]): string[] {
  if (words[0] === "help" && words[1] !== undefined && ALIASES[words[1]]) {
    return ["help", ALIASES[words[1]][0], ...words.slice(2)];
  }
  const expansion = ALIASES[words[0] ?? ""];
  return expansion ? [...expansion, ...words.slice(1)] : [...words];
}
