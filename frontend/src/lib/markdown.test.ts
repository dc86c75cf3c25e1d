import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import Markdown from "../components/Markdown";
import { parseInline, parseMarkdown, safeHref } from "./markdown";

const html = (source: string, citation?: (id: string) => string) =>
  renderToStaticMarkup(createElement(Markdown, { source, renderCitation: citation }));

describe("safety", () => {
  it("keeps raw HTML as text", () => {
    const out = html('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">');
    expect(out).not.toContain("<script");
    expect(out).not.toContain("<img");
    // Shown as text: the "<" is escaped (">" needs no escaping in text, and Preact leaves it).
    expect(out).toContain("&lt;script>alert(1)&lt;/script>");
  });

  it("drops unsafe link targets, keeping the text", () => {
    for (const href of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " data:text/html,x", "vbscript:x"]) {
      expect(html(`[click](${href})`)).toBe("<p><span>click</span></p>");
    }
    expect(html("[click](java\tscript:x)")).not.toContain("<a");
    expect(safeHref("java\nscript:alert(1)")).toBeNull();
    expect(safeHref("\u0001javascript:alert(1)")).toBeNull();
  });

  it("keeps http(s), mailto and relative links", () => {
    expect(html("[a](https://stripe.com/docs) [b](/dashboard/) [c](#x)")).toBe(
      '<p><a href="https://stripe.com/docs" rel="noopener noreferrer">a</a> ' +
        '<a href="/dashboard/" rel="noopener noreferrer">b</a> <a href="#x" rel="noopener noreferrer">c</a></p>',
    );
    expect(safeHref("mailto:help@example.com")).toBe("mailto:help@example.com");
  });
});

describe("blocks", () => {
  it("reads headings, wrapped paragraphs and lists with wrapped items", () => {
    const blocks = parseMarkdown("## Title\n\nOne line\nwrapped.\n\n- a\n  continued\n- b\n\n3. c\n4. d\n");
    expect(blocks.map((b) => b.type)).toEqual(["heading", "paragraph", "list", "list"]);
    expect(html("One line\nwrapped.")).toBe("<p>One line wrapped.</p>");
    expect(html("- a\n  continued\n- b")).toBe("<ul><li>a continued</li><li>b</li></ul>");
    expect(html("3. c\n4. d")).toBe('<ol start="3"><li>c</li><li>d</li></ol>');
  });

  it("reads tables with alignment", () => {
    const out = html("| component | weight |\n| --- | ---: |\n| `history` | 15% |");
    expect(out).toContain('<th scope="col">component</th><th scope="col" class="align-right">weight</th>');
    expect(out).toContain('<td><code>history</code></td><td class="align-right">15%</td>');
  });

  it("shifts heading levels and keeps code fences verbatim", () => {
    const out = renderToStaticMarkup(createElement(Markdown, { source: "## A\n\n```\n**x**\n```", headingOffset: 1 }));
    expect(out).toBe("<h3>A</h3><pre><code>**x**</code></pre>");
  });
});

describe("inline", () => {
  it("reads strong, emphasis and code; snake_case stays", () => {
    expect(html("**bold** and *em* and _em_ and `a_b` and get_metric_summary")).toBe(
      "<p><strong>bold</strong> and <em>em</em> and <em>em</em> and <code>a_b</code> and get_metric_summary</p>",
    );
  });

  it("turns [Source: a, b] markers into citations", () => {
    expect(parseInline("x [Source: reducing-chargebacks]")).toEqual([
      { type: "text", text: "x " },
      { type: "citation", docId: "reducing-chargebacks" },
    ]);
    expect(html("see [Source: a; b]", (id) => `<${id}>`)).toBe("<p>see &lt;a>&lt;b></p>");
  });

  it("leaves unclosed markup as text", () => {
    expect(html("2 * 3 and [not a link and `tick")).toBe("<p>2 * 3 and [not a link and `tick</p>");
  });
});
