import { describe, expect, it } from "vitest";

import { SseParser, readEvents } from "./sse";

describe("SseParser", () => {
  it("joins events split anywhere across chunks", () => {
    const parser = new SseParser();
    expect(parser.push('event: delta\ndata: {"te')).toEqual([]);
    expect(parser.push('xt": "a"}\n')).toEqual([]);
    expect(parser.push("\nevent: message_end\r\ndata: {}\r\n\r\n")).toEqual([
      { event: "delta", data: '{"text": "a"}' },
      { event: "message_end", data: "{}" },
    ]);
  });

  it("skips comments and joins multi-line data", () => {
    const parser = new SseParser();
    expect(parser.push(": keep-alive\n\ndata: one\ndata: two\n\n")).toEqual([
      { event: "message", data: "one\ntwo" },
    ]);
  });
});

describe("readEvents", () => {
  it("decodes a multi-byte character split between chunks", async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text": "→"}\n\n');
    const cut = bytes.indexOf(0xe2) + 1;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, cut));
        controller.enqueue(bytes.slice(cut));
        controller.close();
      },
    });
    const events = [];
    for await (const event of readEvents(body)) events.push(event);
    expect(events).toEqual([{ event: "delta", data: '{"text": "→"}' }]);
  });
});
