import { describe, expect, it } from "vitest";
import { splitLinks } from "./mailbox";

describe("splitLinks", () => {
  it("turns each URL into a link and keeps the text around it", () => {
    expect(splitLinks("Open: http://a.test/dashboard?business_id=1\nBye")).toEqual([
      { kind: "text", text: "Open: " },
      { kind: "link", href: "http://a.test/dashboard?business_id=1" },
      { kind: "text", text: "\nBye" },
    ]);
  });
  it("leaves a sentence's final punctuation out of the link", () => {
    expect(splitLinks("See https://a.test/settings#notifications-heading.")).toEqual([
      { kind: "text", text: "See " },
      { kind: "link", href: "https://a.test/settings#notifications-heading" },
      { kind: "text", text: "." },
    ]);
  });
  it("handles text without links, and links alone", () => {
    expect(splitLinks("No links here.")).toEqual([{ kind: "text", text: "No links here." }]);
    expect(splitLinks("")).toEqual([]);
    expect(splitLinks("<http://a.test/x>")).toEqual([
      { kind: "text", text: "<" },
      { kind: "link", href: "http://a.test/x" },
      { kind: "text", text: ">" },
    ]);
  });
});
