/** Stand-ins for the browser globals that src/lib touches, for vitest under Node. */
import { vi } from "vitest";

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
}

/** A fresh localStorage, window and history, with the page at `url`. */
export function browserAt(url: string): { assign: ReturnType<typeof vi.fn> } {
  const current = new URL(url);
  const assign = vi.fn();
  vi.stubGlobal("localStorage", new MemoryStorage());
  vi.stubGlobal("window", new EventTarget());
  vi.stubGlobal("location", {
    get href() {
      return current.href;
    },
    get pathname() {
      return current.pathname;
    },
    get search() {
      return current.search;
    },
    assign,
  });
  vi.stubGlobal("history", {
    state: null,
    replaceState: (_state: unknown, _title: string, next: URL | string) => {
      current.href = new URL(next, current).href;
    },
  });
  return { assign };
}
