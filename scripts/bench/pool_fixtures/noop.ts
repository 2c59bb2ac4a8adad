// A no-op module task for the pool benchmarks.
export default function noop(): void {}
