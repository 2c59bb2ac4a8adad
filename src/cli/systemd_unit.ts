/**
 * The systemd user unit that runs bgt's supervisor as a service (`contrib/systemd/bgt.service`
 * is this unit for a binary in ~/.local/bin; `bgt daemon install` writes it for the binary that
 * runs). `KillMode=process`: stopping or restarting the unit stops the supervisor alone (it
 * drains on SIGTERM); command tasks keep running in their own process groups and the next
 * supervisor re-adopts them.
 *
 * @example
 * ```ts
 * systemdUnit({ execStart: "/usr/local/bin/bgt supervise" }); // "[Unit]\nDescription=…"
 * ```
 */

/** What differs between installs. */
export interface UnitOptions {
  /** The command line of `ExecStart=`. */
  execStart: string;
  /** Environment lines (`BGT_HOME=/srv/bgt`). @default none */
  environment?: Record<string, string>;
}

/** The unit file's text. */
export function systemdUnit(options: UnitOptions): string {
  const environment = Object.entries(options.environment ?? {}).map(([key, value]) =>
    `Environment=${unitEscape(`${key}=${value}`, "word")}\n`
  ).join("");
  return `# bgt's supervisor as a systemd user service (README: "Running as a service").
# Install: bgt daemon install (or copy to ~/.config/systemd/user/bgt.service), then
#   systemctl --user enable --now bgt && loginctl enable-linger
[Unit]
Description=bgt supervisor: background tasks, their output and their results
# A PostgreSQL store (store = "postgres://…" in config.toml) may need the network.
Wants=network-online.target
After=network-online.target
# Never give up restarting it (a store not reachable yet at boot, another supervisor of the home
# still stopping): one try every RestartSec.
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=${options.execStart}
${environment}# Restarted when it fails (a clean 'bgt daemon stop' stays stopped).
Restart=on-failure
RestartSec=5s
# Only the supervisor is stopped with the unit: running command tasks keep running in their own
# process groups, and the next supervisor re-adopts them (a stop or restart loses no task).
KillMode=process
# SIGTERM drains: module tasks get up to 30 s to finish before their worker hosts end.
KillSignal=SIGTERM
TimeoutStopSec=45s

[Install]
WantedBy=default.target
`;
}

/** The commands that enable the unit and keep it running without a login session. */
export const ENABLE_COMMANDS: readonly string[] = [
  "systemctl --user enable --now bgt",
  "loginctl enable-linger",
];

/**
 * One word of a unit file as systemd reads it back unchanged: quoted when it holds a space or a
 * quote, `"` and `\\` escaped, `%` (a specifier) doubled; and `$` doubled where systemd expands
 * variables (an argument of `ExecStart=`: `"argument"`; not its command, nor `Environment=`).
 *
 * @example
 * ```ts
 * unitEscape("/opt/my bgt/bgt", "word"); // "\"/opt/my bgt/bgt\""
 * unitEscape("BGT_HOME=/srv/100%", "word"); // "BGT_HOME=/srv/100%%"
 * unitEscape("$HOME", "argument"); // "$$HOME"
 * ```
 */
export function unitEscape(text: string, where: "word" | "argument"): string {
  let escaped = text.replaceAll("%", "%%");
  if (where === "argument") escaped = escaped.replaceAll("$", "$$$$");
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/["\\]/g, "\\$&")}"` : escaped;
}

/**
 * The text of `ExecStart=` that runs exactly `argv` ({@linkcode unitEscape} of each word).
 *
 * @example
 * ```ts
 * execLine(["/opt/100% bgt/bgt", "supervise"]); // "\"/opt/100%% bgt/bgt\" supervise"
 * ```
 */
export function execLine(argv: readonly string[]): string {
  return argv.map((word, i) => unitEscape(word, i === 0 ? "word" : "argument")).join(" ");
}
