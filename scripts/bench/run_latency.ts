/**
 * `bgt run -- true` until the client exits (the row committed, the supervisor woken), side by
 * side with a compiled Bun hello-world (the floor of any compiled CLI), task-spooler's
 * `tsp true` and `pm2 start /bin/true`, alternating one run of each per round. A supervisor runs
 * throughout (the warm-up starts it), as does tsp's server and pm2's daemon; each has a private
 * home (BGT_HOME, TS_SOCKET + TMPDIR, PM2_HOME).
 *
 * ```sh
 * npm run compile && npx bun scripts/bench/run_latency.ts [rounds=40]
 * ```
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import {
  bench,
  BGT,
  bgtHomeEnv,
  commandLine,
  figure,
  helloWorld,
  INSTALL,
  num,
  numberArg,
  onCleanup,
  type Peer,
  program,
  progress,
  tempDir,
  times,
} from "./_harness.ts";
import { timeCommand } from "./_stats.ts";

const ROUNDS = numberArg(0, 40, 8);

await bench("run_latency", () => {
  const dir = tempDir("run");
  const env = {
    ...bgtHomeEnv("run"),
    TS_SOCKET: join(dir, "tsp.sock"),
    TMPDIR: dir,
    TS_SAVELIST: "",
    TS_MAXFINISHED: "100000",
    PM2_HOME: join(dir, "pm2"),
  };
  const tsp = program("tsp");
  const pm2 = program("pm2");
  if (tsp) onCleanup(() => void spawnSync(tsp, ["-K"], { env, stdio: "ignore", timeout: 10_000 }));
  if (pm2) {
    onCleanup(() => void spawnSync(pm2, ["kill"], { env, stdio: "ignore", timeout: 20_000 }));
  }
  let pm2Runs = 0;
  const contenders: Record<string, () => string[]> = {
    bgt: () => [BGT, "run", "--", "true"],
    hello: ((hello) => () => [hello])(helloWorld()),
    ...(tsp ? { tsp: () => [tsp, "true"] } : {}),
    ...(pm2
      ? { pm2: () => [pm2, "start", "/bin/true", "--name", `t${pm2Runs++}`, "--no-autorestart"] }
      : {}),
  };
  // Warm up: starts bgt's supervisor, tsp's server and pm2's daemon; fills the caches.
  for (const argv of Object.values(contenders)) {
    for (let i = 0; i < 3; i++) timeCommand(argv(), env);
  }
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, argv] of Object.entries(contenders)) {
      (samples[name] ??= []).push(timeCommand(argv(), env));
    }
    if ((round + 1) % 10 === 0) progress(`${round + 1} of ${ROUNDS} rounds`);
  }
  const f = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, figure(v, "ms")]));
  const bgt = f.bgt;
  const peers: Peer[] = [
    { name: "compiled Bun hello-world", figure: f.hello },
    f.tsp ? { name: "`tsp true`", figure: f.tsp } : { name: "task-spooler", missing: INSTALL.tsp },
    f.pm2
      ? { name: "`pm2 start /bin/true`", figure: f.pm2 }
      : { name: "pm2", missing: INSTALL.pm2 },
  ];
  // Issue 18's round (DESIGN §9 asks for 1.3× and 5×, the goal beyond it); pm2 is shown only.
  const checks = [bgt.median <= 1.5 * f.hello.median];
  if (f.tsp) checks.push(bgt.median <= 6 * f.tsp.median);
  const ratio = [
    `${times(bgt.median, f.hello.median)} hello-world`,
    f.tsp ? `${times(bgt.median, f.tsp.median)} tsp` : "tsp missing",
    f.pm2 ? `pm2 start is ${times(f.pm2.median, bgt.median)} slower` : "pm2 missing",
  ].join("; ");
  progress(`bgt ${num(bgt.median)} ms: ${ratio}`);
  return {
    rounds: ROUNDS,
    rows: [{
      id: "run_latency",
      section: "Submitting and running commands",
      measure: "`bgt run -- true` until the client exits (row committed, supervisor woken)",
      bgt,
      peers,
      ratio,
      target: "≤ 1.5× hello-world, ≤ 6× `tsp true`",
      met: checks.every(Boolean) ? (f.tsp ? true : null) : false,
      command: commandLine("run_latency.ts", ROUNDS),
    }],
  };
}, { binary: true });
