export default function noop() {}
