// The bare postMessage loop: echo every message.
const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent) => void;
  postMessage: (m: unknown, t?: Transferable[]) => void;
};
scope.onmessage = (e) => {
  const d = e.data;
  scope.postMessage(d, d instanceof ArrayBuffer ? [d] : []);
};
