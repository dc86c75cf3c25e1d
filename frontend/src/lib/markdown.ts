/**
 * A small Markdown parser for the knowledge base and the assistant's answers. It yields a tree
 * of plain data that components/Markdown.tsx turns into React elements: there is no HTML
 * output, so raw HTML in the source stays text, and link targets pass `safeHref` or are dropped.
 *
 * What it reads is what the knowledge files (backend/docs/knowledge) and the answers use:
 * ATX headings, paragraphs, bullet and numbered lists with wrapped lines, tables, fenced code,
 * quotes and rules; inline, strong, emphasis, code spans, links and `[Source: doc_id]` citations.
 */

export type Inline =
  | { type: "text"; text: string }
  | { type: "code"; text: string }
  | { type: "strong"; children: Inline[] }
  | { type: "em"; children: Inline[] }
  | { type: "link"; href: string | null; children: Inline[] }
  | { type: "citation"; docId: string };

export type Align = "left" | "center" | "right" | null;

export type Block =
  | { type: "heading"; level: number; children: Inline[] }
  | { type: "paragraph"; children: Inline[] }
  | { type: "list"; ordered: boolean; start: number; items: Inline[][] }
  | { type: "code"; text: string }
  | { type: "table"; align: Align[]; head: Inline[][]; rows: Inline[][][] }
  | { type: "quote"; children: Block[] }
  | { type: "rule" };

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;
const BULLET = /^\s*[-*+]\s+/;
const ORDERED = /^\s*(\d{1,9})[.)]\s+/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;
const CITATION = /^\[\s*source\s*:\s*([^[\]]+?)\s*\]/i;
// The target may hold one level of parentheses: (https://x/a_(b)).
const LINK = /^\[([^\]]*)\]\(\s*<?((?:[^\s()<>]|\([^\s()]*\))*)>?(?:\s+"[^"]*")?\s*\)/;

/** An href that is http(s), mailto or relative; anything else (javascript:, data:…) is null. */
export function safeHref(href: string): string | null {
  // Browsers ignore tabs, newlines and control characters inside a scheme ("java\tscript:").
  const compact = href.replace(/[\u0000-\u0020\u007f-\u009f]/g, "");
  if (!compact) return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(compact);
  if (scheme) {
    return ["http", "https", "mailto"].includes(scheme[1]!.toLowerCase()) ? compact : null;
  }
  // No scheme: a path, query or fragment on this site (or "//host", which stays http(s)).
  return compact;
}

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.trim()) {
      i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ type: "heading", level: heading[1]!.length, children: parseInline(heading[2]!) });
      i++;
      continue;
    }
    if (FENCE.test(line)) {
      const fence = FENCE.exec(line)![1]!;
      const code: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(fence)) code.push(lines[i++]!);
      i++;
      blocks.push({ type: "code", text: code.join("\n") });
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ type: "rule" });
      i++;
      continue;
    }
    if (line.trimStart().startsWith("|") && TABLE_SEPARATOR.test(lines[i + 1] ?? "")) {
      const head = splitRow(line);
      const align = splitRow(lines[i + 1]!).map(alignment);
      const rows: Inline[][][] = [];
      i += 2;
      while (i < lines.length && lines[i]!.trimStart().startsWith("|")) {
        rows.push(splitRow(lines[i++]!).map(parseInline));
      }
      blocks.push({ type: "table", align, head: head.map(parseInline), rows });
      continue;
    }
    if (line.trimStart().startsWith(">")) {
      const quoted: string[] = [];
      while (i < lines.length && lines[i]!.trimStart().startsWith(">")) {
        quoted.push(lines[i++]!.trimStart().replace(/^>\s?/, ""));
      }
      blocks.push({ type: "quote", children: parseMarkdown(quoted.join("\n")) });
      continue;
    }
    const marker = BULLET.exec(line) ?? ORDERED.exec(line);
    if (marker) {
      const ordered = !BULLET.test(line);
      const pattern = ordered ? ORDERED : BULLET;
      const items: string[] = [];
      while (i < lines.length) {
        const current = lines[i]!;
        const item = pattern.exec(current);
        if (item) {
          items.push(current.slice(item[0].length));
        } else if (current.trim() && !startsBlock(current) && items.length) {
          items[items.length - 1] += ` ${current.trim()}`; // a wrapped line of the item
        } else if (!current.trim() && pattern.test(lines[i + 1] ?? "")) {
          // a blank line between items keeps the list going
        } else {
          break;
        }
        i++;
      }
      const start = ordered ? Number(ORDERED.exec(line)![1]) : 1;
      blocks.push({ type: "list", ordered, start, items: items.map(parseInline) });
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i]!.trim() && (paragraph.length === 0 || !startsBlock(lines[i]!))) {
      paragraph.push(lines[i++]!.trim());
    }
    blocks.push({ type: "paragraph", children: parseInline(paragraph.join(" ")) });
  }
  return blocks;
}

function startsBlock(line: string): boolean {
  return (
    HEADING.test(line) ||
    FENCE.test(line) ||
    BULLET.test(line) ||
    ORDERED.test(line) ||
    line.trimStart().startsWith(">") ||
    line.trimStart().startsWith("|")
  );
}

function splitRow(line: string): string[] {
  const cells = line.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "").split(/(?<!\\)\|/);
  return cells.map((cell) => cell.trim().replace(/\\\|/g, "|"));
}

function alignment(cell: string): Align {
  const left = cell.startsWith(":");
  const right = cell.endsWith(":");
  return left && right ? "center" : right ? "right" : left ? "left" : null;
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[\p{L}\p{N}]/u.test(char);
}

/** Inline markup; anything that does not close is plain text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let plain = "";
  const flush = () => {
    if (plain) out.push({ type: "text", text: plain });
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    const rest = text.slice(i);
    if (char === "\\" && i + 1 < text.length && /[\\`*_[\]()#+\-.!|>]/.test(text[i + 1]!)) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (char === "`") {
      const ticks = /^`+/.exec(rest)![0];
      const end = text.indexOf(ticks, i + ticks.length);
      if (end > 0) {
        flush();
        out.push({ type: "code", text: text.slice(i + ticks.length, end).trim() });
        i = end + ticks.length;
        continue;
      }
    }
    if (rest.startsWith("**") || rest.startsWith("__")) {
      const delimiter = rest.slice(0, 2);
      const end = text.indexOf(delimiter, i + 2);
      if (end > i + 2 && (delimiter === "**" || !isWordChar(text[i - 1]))) {
        flush();
        out.push({ type: "strong", children: parseInline(text.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    }
    if ((char === "*" || char === "_") && text[i + 1] && text[i + 1] !== " ") {
      // "_" never opens inside a word (snake_case names stay as written).
      const end = findClosing(text, char, i + 1);
      if (end > 0 && (char === "*" || (!isWordChar(text[i - 1]) && !isWordChar(text[end + 1])))) {
        flush();
        out.push({ type: "em", children: parseInline(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    if (char === "[") {
      const citation = CITATION.exec(rest);
      if (citation) {
        flush();
        for (const id of citation[1]!.split(/[,;]/)) {
          if (id.trim()) out.push({ type: "citation", docId: id.trim() });
        }
        i += citation[0].length;
        continue;
      }
      const link = LINK.exec(rest);
      if (link) {
        flush();
        out.push({ type: "link", href: safeHref(link[2]!), children: parseInline(link[1]!) });
        i += link[0].length;
        continue;
      }
    }
    plain += char;
    i++;
  }
  flush();
  return out;
}

function findClosing(text: string, delimiter: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === "\\") {
      j++;
    } else if (text[j] === delimiter && text[j - 1] !== " " && text[j + 1] !== delimiter) {
      return j;
    }
  }
  return -1;
}
