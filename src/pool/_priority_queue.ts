/**
 * @internal A priority queue: higher priority first, FIFO within a priority. O(1) for the common
 * case of a single priority (one bucket), O(p) to add a new priority level.
 */
export class _PriorityQueue<T> {
  #levels: number[] = []; // sorted descending
  #buckets = new Map<number, _Deque<T>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T, priority: number): void {
    let b = this.#buckets.get(priority);
    if (b === undefined) {
      b = new _Deque<T>();
      this.#buckets.set(priority, b);
      let i = 0;
      while (i < this.#levels.length && this.#levels[i] > priority) i++;
      this.#levels.splice(i, 0, priority);
    }
    b.push(item);
    this.#size++;
  }

  /** Puts an item back at the front of its priority. */
  unshift(item: T, priority: number): void {
    this.push(item, priority);
    const b = this.#buckets.get(priority)!;
    b.moveLastToFront();
  }

  peek(): T | undefined {
    if (this.#size === 0) return undefined;
    for (const p of this.#levels) {
      const b = this.#buckets.get(p)!;
      if (b.length > 0) return b.peek();
    }
    return undefined;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    for (const p of this.#levels) {
      const b = this.#buckets.get(p)!;
      if (b.length > 0) {
        this.#size--;
        return b.shift();
      }
    }
    return undefined;
  }

  /** Removes one item (linear); returns whether it was found. */
  remove(item: T, priority: number): boolean {
    const b = this.#buckets.get(priority);
    if (b === undefined || !b.remove(item)) return false;
    this.#size--;
    return true;
  }

  drain(): T[] {
    const out: T[] = [];
    let x: T | undefined;
    while ((x = this.shift()) !== undefined) out.push(x);
    return out;
  }
}

/** @internal A growable ring-less deque: an array with a moving head, compacted when half-empty. */
export class _Deque<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(x: T): void {
    this.#items.push(x);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const x = this.#items[this.#head];
    (this.#items as unknown[])[this.#head] = undefined;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return x;
  }

  moveLastToFront(): void {
    const x = this.#items.pop() as T;
    if (this.#head > 0) {
      this.#head--;
      this.#items[this.#head] = x;
    } else {
      this.#items.unshift(x);
    }
  }

  remove(x: T): boolean {
    const i = this.#items.indexOf(x, this.#head);
    if (i < 0) return false;
    this.#items.splice(i, 1);
    return true;
  }

  toArray(): T[] {
    return this.#items.slice(this.#head);
  }
}
