/**
 * Footprint: the size of `dist/bgt`; its start-up (`bgt --version`) against a compiled Bun
 * hello-world and `deno run` of a hello-world, alternating; and the idle supervisor's resident
 * memory (`bgt daemon start` on an empty temporary home, 1 s idle, VmRSS) against pm2's idle
 * daemon (`pm2 ping` with a private PM2_HOME), alternating rounds; then the idle worker host
 * (`bgt __host`) that ran one no-op module task, 1 s after the task ended (a host exits after
 * 10 s idle).
 *
 * ```sh
 * npm run compile && npx bun scripts/bench/footprint.ts [startup-rounds=30] [rss-rounds=3]
 * ```
 */
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  alive,
  bench,
  BGT,
  bgtHomeEnv,
  commandLine,
  figure,
  helloWorld,
  INSTALL,
  memoryMb,
  num,
  numberArg,
  onCleanup,
  type Peer,
  program,
  progress,
  QUICK,
  sleep,
  stopHomeSupervisor,
  supervisorPid,
  tempDir,
  times,
} from "./_harness.ts";
import { timeCommand } from "./_stats.ts";

const STARTUP_ROUNDS = numberArg(0, 30, 8);
const RSS_ROUNDS = numberArg(1, 3, 1);
const IDLE_MS = QUICK ? 500 : 1000;

/**
 * bgt's idle supervisor, started as users get it, measured after a second of idling; then its
 * idle worker host, a second after it ran one no-op module task.
 */
async function bgtIdleRss(): Promise<{ supervisor: number; host: number }> {
  const env = bgtHomeEnv("footprint");
  const started = spawnSync(BGT, ["daemon", "start"], { env, encoding: "utf8", timeout: 20_000 });
  if (started.status !== 0) throw new Error(`bgt daemon start failed: ${started.stderr}`);
  const pid = supervisorPid(env);
  if (!pid) throw new Error("bgt daemon start: no supervisor answers");
  await sleep(IDLE_MS);
  const supervisor = memoryMb(pid).rss;
  const job = join(tempDir("footprint-job"), "noop.ts");
  writeFileSync(job, "export default () => 1;\n");
  const ran = spawnSync(BGT, ["run", "--wait", job], { env, encoding: "utf8", timeout: 30_000 });
  if (ran.status !== 0) throw new Error(`bgt run --wait noop.ts failed: ${ran.stderr}`);
  await sleep(IDLE_MS);
  const host = _workerHostOf(pid);
  if (!host) throw new Error("no worker host after a module task");
  const hostRss = memoryMb(host).rss;
  await stopHomeSupervisor(env);
  return { supervisor, host: hostRss };
}

/** The pid of the supervisor's worker host (`bgt __host`), if one runs. */
function _workerHostOf(supervisor: number): number | undefined {
  const children = readFileSync(`/proc/${supervisor}/task/${supervisor}/children`, "utf8")
    .trim().split(/\s+/).filter(Boolean).map(Number);
  return children.find((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").includes("__host");
    } catch {
      return false;
    }
  });
}

/** pm2's daemon, idle, with a private PM2_HOME. */
async function pm2IdleRss(pm2: string): Promise<number> {
  const env = { ...process.env, PM2_HOME: join(tempDir("pm2"), "home") };
  const kill = () => void spawnSync(pm2, ["kill"], { env, stdio: "ignore", timeout: 20_000 });
  onCleanup(kill);
  const ping = spawnSync(pm2, ["ping"], { env, stdio: "ignore", timeout: 30_000 });
  if (ping.status !== 0) throw new Error(`pm2 ping exited ${ping.status}`);
  const pid = Number(readFileSync(join(env.PM2_HOME, "pm2.pid"), "utf8"));
  await sleep(IDLE_MS);
  const { rss } = memoryMb(pid);
  kill();
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(20);
  if (alive(pid)) process.kill(pid, "SIGKILL");
  return rss;
}

await bench("footprint", async () => {
  const hello = helloWorld();
  const deno = program("deno");
  const denoHello = join(tempDir("deno"), "hello.ts");
  writeFileSync(denoHello, 'console.log("hello");\n');
  const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1" };
  const contenders: Record<string, string[]> = {
    bgt: [BGT, "--version"],
    hello: [hello],
    ...(deno ? { deno: [deno, "run", "--no-prompt", denoHello] } : {}),
  };
  for (const argv of Object.values(contenders)) for (let i = 0; i < 3; i++) timeCommand(argv, env);
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < STARTUP_ROUNDS; round++) {
    for (const [name, argv] of Object.entries(contenders)) {
      (samples[name] ??= []).push(timeCommand(argv, env));
    }
  }
  const startup = Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [k, figure(v, "ms")]),
  );
  progress(
    `start-up: bgt ${num(startup.bgt.median)} ms, hello ${num(startup.hello.median)} ms, deno ${
      startup.deno ? `${num(startup.deno.median)} ms` : "missing"
    }`,
  );

  const pm2 = program("pm2");
  const rss = { bgt: [] as number[], host: [] as number[], pm2: [] as number[] };
  for (let round = 0; round < RSS_ROUNDS; round++) {
    const idle = await bgtIdleRss();
    rss.bgt.push(idle.supervisor);
    rss.host.push(idle.host);
    if (pm2) rss.pm2.push(await pm2IdleRss(pm2));
    progress(
      `idle RSS round ${round + 1}: bgt ${num(rss.bgt.at(-1)!)} MB, its worker host ${
        num(rss.host.at(-1)!)
      } MB${pm2 ? `, pm2 ${num(rss.pm2.at(-1)!)} MB` : ""}`,
    );
  }
  const bgtRss = figure(rss.bgt, "MB");
  const hostRss = figure(rss.host, "MB");
  const pm2Peer: Peer = pm2
    ? { name: "pm2 daemon, idle", figure: figure(rss.pm2, "MB") }
    : { name: "pm2", missing: INSTALL.pm2 };
  const size = statSync(BGT).size / 1e6;
  const helloSize = statSync(hello).size / 1e6;
  const denoPeer: Peer = startup.deno
    ? { name: "`deno run hello.ts`", figure: startup.deno }
    : { name: "deno", missing: INSTALL.deno };
  const command = commandLine("footprint.ts", STARTUP_ROUNDS, RSS_ROUNDS);
  return {
    startup_rounds: STARTUP_ROUNDS,
    rss_rounds: RSS_ROUNDS,
    rows: [
      {
        id: "startup",
        section: "Footprint",
        measure: "start-up: `bgt --version` until it exits",
        bgt: startup.bgt,
        peers: [{ name: "compiled Bun hello-world", figure: startup.hello }, denoPeer],
        ratio: `${times(startup.bgt.median, startup.hello.median)} hello-world${
          startup.deno ? `; ${times(startup.bgt.median, startup.deno.median)} deno` : ""
        }`,
        target: "— (none of its own; `bgt run`'s is ≤ 1.5× hello-world)",
        met: null,
        command,
      },
      {
        id: "binary_size",
        section: "Footprint",
        measure: "`dist/bgt` file size",
        bgt: figure([size], "MB"),
        peers: [{ name: "compiled Bun hello-world", figure: figure([helloSize], "MB") }],
        ratio: `+${num(size - helloSize)} MB over the runtime alone`,
        target: "— (none in DESIGN §9)",
        met: null,
        command,
      },
      {
        id: "idle_rss",
        section: "Footprint",
        measure: `idle supervisor RSS (\`bgt daemon start\`, ${IDLE_MS / 1000} s idle)`,
        bgt: bgtRss,
        peers: [pm2Peer],
        ratio: pm2Peer.figure ? `${times(bgtRss.median, pm2Peer.figure.median)} pm2` : "—",
        target: "≤ 40 MB",
        met: bgtRss.median <= 40,
        command,
      },
      {
        id: "idle_host_rss",
        section: "Footprint",
        measure: `idle worker host RSS (\`bgt __host\`, ${IDLE_MS / 1000} s after one no-op task)`,
        bgt: hostRss,
        peers: [{ name: "the idle supervisor, same run", figure: bgtRss }],
        ratio: `${times(hostRss.median, bgtRss.median)} the supervisor`,
        target: "≤ 30 MB",
        met: hostRss.median <= 30,
        command,
      },
    ],
  };
}, { binary: true });
