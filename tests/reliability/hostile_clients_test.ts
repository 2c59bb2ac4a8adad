/**
 * Issue 6, part 6: hostile clients on the supervisor's socket. Random bytes, truncated frames,
 * oversized length prefixes, valid frames with bad bodies (fuzzed from a printed seed for a fixed
 * number of iterations), silent connections, many idle connections and a client that floods
 * requests without reading the answers never stop the supervisor nor block a normal client.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { encodeFrame, FrameDecoder } from "../../src/task/frames.ts";
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from "../../src/ipc/protocol.ts";
import { bgtHome } from "../../src/store/home.ts";
import { encode } from "../../src/task/codec.ts";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";
import {
  integrityCheck,
  isAlive,
  openFds,
  peakRssKiB,
  report,
  rssKiB,
  run,
  seededRandom,
  SOAK,
  suiteSeed,
} from "./_reliability.ts";

const ITERATIONS = SOAK ? 20_000 : 3_000;
const IDLE_CONNECTIONS = SOAK ? 2_000 : 300;
const FLOOD_REQUESTS = 200_000;
/** The supervisor closes a connection that says nothing for this long (src/ipc/socket_server.ts). */
const SERVER_IDLE_MS = 10_000;

interface Exchange {
  /** Frames the supervisor answered with (decoded). */
  answers: unknown[];
  /** The supervisor hung up (rather than our giving up). */
  closedByServer: boolean;
  /** The answer stream itself was not valid frames. */
  badAnswer?: string;
}

/** Connects, writes the chunks, half-closes (or not), and collects the answers. */
function exchange(
  path: string,
  chunks: Uint8Array[],
  options: { end?: boolean; waitMs?: number; untilAnswer?: boolean } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const decoder = new FrameDecoder();
    const result: Exchange = { answers: [], closedByServer: false };
    let done = false;
    const finish = (byServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      result.closedByServer = byServer;
      socket.destroy();
      resolve(result);
    };
    socket.on("connect", () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.end) socket.end();
    });
    socket.on("data", (chunk: Uint8Array) => {
      try {
        result.answers.push(...decoder.push(chunk));
      } catch (error) {
        result.badAnswer = (error as Error).message;
      }
      if (options.untilAnswer && result.answers.length > 0) finish(false);
    });
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    const timer = setTimeout(() => finish(false), options.waitMs ?? 300);
  });
}

/** A random value of the kinds MessagePack carries, nested a little. */
function randomValue(rng: ReturnType<typeof seededRandom>, depth = 0): unknown {
  const kind = rng.int(0, depth > 2 ? 5 : 8);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return rng.int(-(2 ** 31), 2 ** 31);
    case 3:
      return rng.next() * 1e12 - 5e11;
    case 4:
      return String.fromCharCode(
        ...Array.from({ length: rng.int(0, 20) }, () => rng.int(0, 0xffff)),
      )
        .replace(/[\ud800-\udfff]/g, "?");
    case 5:
      return rng.bytes(rng.int(0, 32));
    case 6:
      return Array.from({ length: rng.int(0, 5) }, () => randomValue(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(0, 5) }, () => [
          rng.pick(["v", "type", "id", "ids", "signal", "__proto__", "constructor", "x"]),
          randomValue(rng, depth + 1),
        ]),
      );
  }
}

/** A request that is well framed but wrong: bad version, type, id, signal or ids. Never `stop`. */
function badRequest(rng: ReturnType<typeof seededRandom>): Record<string, unknown> {
  const type = rng.pick(["kill", "wait", "status", "notify", "nope", "", "__proto__", 7]);
  const request: Record<string, unknown> = {
    v: rng.next() < 0.7 ? PROTOCOL_VERSION : randomValue(rng),
    type,
  };
  if (type === "kill" || rng.next() < 0.3) {
    request.id = rng.pick([0, -1, 1.5, 2 ** 53, "1", null, 999_999, rng.int(1, 1e6)]);
    request.signal = rng.pick(["SIGTERM", "NOPE", "", "constructor", "toString", 9, null]);
    if (request.signal === "SIGTERM" && typeof request.id === "number") request.id = 999_999;
  }
  if (type === "wait" || rng.next() < 0.3) {
    request.ids = rng.pick([[], [0], [-1], ["1"], [1.5], "1", null, [999_999], { 0: 1 }]);
  }
  if (rng.next() < 0.2) request.extra = randomValue(rng);
  return request;
}

/** The `length` prefix of a frame. */
function header(length: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, length);
  return bytes;
}

describe("hostile clients", () => {
  let home: TempHome;
  let socketPath: string;
  let supervisor: number;
  let silent: Promise<Exchange[]>;
  let silentOpened: number;
  const seed = suiteSeed("hostile clients");
  const figures: Record<string, unknown> = { seed, iterations: ITERATIONS };

  before(() => {
    home = TempHome.create();
    socketPath = bgtHome({ BGT_HOME: home.env().BGT_HOME }).socket;
    home.ok(["daemon", "start"]);
    supervisor = JSON.parse(home.ok(["daemon", "status", "--json"])).pid;
    // Opened first and checked last: the supervisor closes them after its idle time.
    silentOpened = Date.now();
    silent = Promise.all([
      exchange(socketPath, [], { waitMs: SERVER_IDLE_MS + 10_000 }),
      exchange(socketPath, [header(100), new Uint8Array(10)], { waitMs: SERVER_IDLE_MS + 10_000 }),
    ]);
  });
  after(() => home.cleanup());

  test("fuzzed frames never stop the supervisor, and every answer is a well-formed frame", async () => {
    const rng = seededRandom(seed);
    const counts: Record<string, number> = {};
    let answered = 0;
    let okAnswers = 0;
    const known = home.ok(["run", "--", "true"]);
    assert.equal(home.bgt(["wait", known]).code, 0);
    const one = async (i: number) => {
      const kind = rng.pick(
        [
          "random bytes",
          "random bytes",
          "truncated frame",
          "oversized prefix",
          "near-cap prefix",
          "bad request",
          "bad request",
          "random value",
          "bit flip",
          "split valid",
          "valid",
        ] as const,
      );
      counts[kind] = (counts[kind] ?? 0) + 1;
      let chunks: Uint8Array[];
      let expectAnswer = false;
      switch (kind) {
        case "random bytes":
          chunks = [rng.bytes(rng.int(1, 2048))];
          break;
        case "truncated frame": {
          const frame = encodeFrame(rng.next() < 0.5 ? badRequest(rng) : { v: 1, type: "status" });
          chunks = [frame.subarray(0, rng.int(1, frame.length - 1))];
          break;
        }
        case "oversized prefix":
          chunks = [header(rng.int(MAX_FRAME_BYTES + 1, 2 ** 32 - 1)), rng.bytes(rng.int(0, 64))];
          expectAnswer = true;
          break;
        case "near-cap prefix":
          chunks = [header(MAX_FRAME_BYTES - rng.int(0, 1000)), rng.bytes(rng.int(0, 4096))];
          break;
        case "bad request":
          chunks = [encodeFrame(badRequest(rng))];
          expectAnswer = true;
          break;
        case "random value": {
          const body = encode(randomValue(rng));
          chunks = [header(body.length), body];
          expectAnswer = true;
          break;
        }
        case "bit flip": {
          const frame = encodeFrame({ v: 1, type: "wait", ids: [Number(known)] }).slice();
          for (let flips = rng.int(1, 4); flips > 0; flips--) {
            const at = rng.int(4, frame.length - 1);
            frame[at] ^= 1 << rng.int(0, 7);
          }
          chunks = [frame];
          break;
        }
        case "split valid": {
          const frame = encodeFrame({ v: PROTOCOL_VERSION, type: "status" });
          chunks = Array.from(frame, (byte) => new Uint8Array([byte]));
          expectAnswer = true;
          break;
        }
        case "valid":
          chunks = [
            encodeFrame(
              rng.pick([
                { v: PROTOCOL_VERSION, type: "notify" },
                { v: PROTOCOL_VERSION, type: "status" },
                { v: PROTOCOL_VERSION, type: "wait", ids: [Number(known)] },
              ]),
            ),
          ];
          expectAnswer = true;
          break;
      }
      const result = await exchange(socketPath, chunks, {
        end: rng.next() < 0.5,
        untilAnswer: true,
        waitMs: expectAnswer ? 5_000 : 30,
      });
      assert.equal(result.badAnswer, undefined, `iteration ${i} (${kind}): ${result.badAnswer}`);
      if (expectAnswer) {
        assert.ok(result.answers.length >= 1, `iteration ${i} (${kind}) got an answer`);
      }
      for (const answer of result.answers as { ok: boolean }[]) {
        answered++;
        if (answer.ok === true) okAnswers++;
        else assert.equal(answer.ok, false, `iteration ${i}: an answer has ok: true or false`);
      }
      if (kind === "valid" || kind === "split valid") {
        assert.equal((result.answers[0] as { ok: boolean }).ok, true, `iteration ${i} (${kind})`);
      }
    };
    const concurrency = 8;
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < ITERATIONS) {
        const i = next++;
        await one(i);
        if (i % 250 === 0) assert.ok(isAlive(supervisor), `the supervisor lives at iteration ${i}`);
      }
    }));
    assert.ok(isAlive(supervisor), "the supervisor survived the fuzzing");
    Object.assign(figures, { cases: counts, answered, okAnswers });
  });

  test("many idle connections and a client that never reads do not block a normal client", async () => {
    const baselineFds = openFds(supervisor);
    const idle: Socket[] = [];
    for (let i = 0; i < IDLE_CONNECTIONS; i++) {
      const socket = connect(socketPath);
      socket.on("error", () => {/* refused when the backlog is full: that is the point */});
      idle.push(socket);
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // A client that sends thousands of requests and never reads an answer.
    const request = encodeFrame({ v: PROTOCOL_VERSION, type: "status" });
    const rssBefore = rssKiB(supervisor) ?? 0;
    const flood = new Uint8Array(request.length * FLOOD_REQUESTS);
    for (let i = 0; i < FLOOD_REQUESTS; i++) flood.set(request, i * request.length);
    const flooder = connect(socketPath);
    flooder.on("error", () => {});
    flooder.pause();
    flooder.write(flood);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const heldFds = openFds(supervisor);
    const rssGrowthMiB = Math.round(((rssKiB(supervisor) ?? 0) - rssBefore) / 1024);
    // Unbounded, the answers to 200,000 unread requests took 170 MiB (before backpressure).
    assert.ok(rssGrowthMiB < 80, `the supervisor grew ${rssGrowthMiB} MiB under the flood`);
    const submitted = await run(BGT, ["run", "--", "true"], { cwd: home.work, env: home.env() });
    assert.equal(submitted.code, 0, submitted.stderr);
    const waited = await run(BGT, ["wait", submitted.stdout.trim()], {
      cwd: home.work,
      env: home.env(),
    });
    assert.equal(waited.code, 0, waited.stderr);
    const latency = submitted.ms + waited.ms;
    assert.ok(latency < 5_000, `run + wait took ${latency} ms beside the idle connections`);
    for (const socket of idle) socket.destroy();
    flooder.destroy();
    // Every descriptor of those connections is released.
    const deadline = Date.now() + 5_000;
    while (openFds(supervisor) > baselineFds + 5 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(openFds(supervisor) <= baselineFds + 5, "descriptors released");
    Object.assign(figures, {
      idleConnections: IDLE_CONNECTIONS,
      supervisorFdsHeld: heldFds - baselineFds,
      runAndWaitBesideIdleMs: latency,
      floodRequests: FLOOD_REQUESTS,
      rssGrowthUnderFloodMiB: rssGrowthMiB,
    });
  });

  test("after all that, the same supervisor runs a command and a module task, and silent connections were closed", async () => {
    assert.ok(isAlive(supervisor), "the first supervisor still runs");
    const { writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    writeFileSync(join(home.work, "answer.ts"), "export default (x: number) => ({ x: x * 2 });\n");
    const ids = [home.ok(["run", "--", "echo", "still here"]), home.ok(["run", "answer.ts", "21"])];
    const waitedAll = home.bgt(["wait", ...ids]);
    assert.equal(waitedAll.code, 0, `${waitedAll.stderr} ${home.ok(["show", ids[1], "--json"])}`);
    assert.equal(home.ok(["logs", ids[0]]), "still here");
    assert.equal(home.ok(["result", ids[1]]), '{"x":42}');
    assert.equal(JSON.parse(home.ok(["daemon", "status", "--json"])).pid, supervisor);
    const [quiet, partial] = await silent;
    figures.silentClosedAfterMs = Date.now() - silentOpened;
    assert.ok(quiet.closedByServer, "the silent connection was closed by the supervisor");
    assert.ok(partial.closedByServer, "the connection stuck inside a frame was closed");
    assert.deepEqual(quiet.answers, []);
    figures.supervisorPeakRssMiB = Math.round((peakRssKiB(supervisor) ?? 0) / 1024);
    figures.supervisorRestarts = home.supervisorPids().length - 1;
    home.ok(["daemon", "stop"]);
    assert.equal(await integrityCheck(join(home.dir, "home", "bgt.db")), "ok");
    report("hostile clients", figures);
  });
});
