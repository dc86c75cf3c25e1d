import { Fragment, type ReactNode } from "react";

import { parseMarkdown, type Block, type Inline } from "../lib/markdown";

interface Props {
  source: string;
  /** Added to heading levels, so a document's "##" sits under the page's own headings. */
  headingOffset?: number;
  /** How a `[Source: doc_id]` citation shows; without it, as the marker's text. */
  renderCitation?: (docId: string) => ReactNode;
}

/**
 * Markdown as React elements (lib/markdown.ts parses it). No HTML string is ever injected:
 * text is text, and links keep only safe targets.
 */
export default function Markdown({ source, headingOffset = 0, renderCitation }: Props) {
  const inline = (nodes: Inline[]): ReactNode =>
    nodes.map((node, index) => {
      switch (node.type) {
        case "text":
          return <Fragment key={index}>{node.text}</Fragment>;
        case "code":
          return <code key={index}>{node.text}</code>;
        case "strong":
          return <strong key={index}>{inline(node.children)}</strong>;
        case "em":
          return <em key={index}>{inline(node.children)}</em>;
        case "link":
          return node.href === null ? (
            <span key={index}>{inline(node.children)}</span>
          ) : (
            <a key={index} href={node.href} rel="noopener noreferrer">
              {inline(node.children)}
            </a>
          );
        case "citation":
          return (
            <Fragment key={index}>
              {renderCitation ? renderCitation(node.docId) : `[Source: ${node.docId}]`}
            </Fragment>
          );
      }
    });

  const block = (node: Block, index: number): ReactNode => {
    switch (node.type) {
      case "heading": {
        const Tag = `h${Math.min(6, node.level + headingOffset)}` as "h2";
        return <Tag key={index}>{inline(node.children)}</Tag>;
      }
      case "paragraph":
        return <p key={index}>{inline(node.children)}</p>;
      case "list": {
        const items = node.items.map((item, n) => <li key={n}>{inline(item)}</li>);
        return node.ordered ? (
          <ol key={index} start={node.start === 1 ? undefined : node.start}>
            {items}
          </ol>
        ) : (
          <ul key={index}>{items}</ul>
        );
      }
      case "code":
        return (
          <pre key={index}>
            <code>{node.text}</code>
          </pre>
        );
      case "table":
        return (
          // Wide tables scroll inside their box, never the page; the box takes focus for keys.
          <div key={index} className="md-table" tabIndex={0} role="region" aria-label="Table">
            <table>
              <thead>
                <tr>
                  {node.head.map((cell, n) => (
                    <th key={n} scope="col" className={alignClass(node.align[n])}>
                      {inline(cell)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {node.rows.map((row, r) => (
                  <tr key={r}>
                    {row.map((cell, n) => (
                      <td key={n} className={alignClass(node.align[n])}>
                        {inline(cell)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      case "quote":
        return <blockquote key={index}>{node.children.map(block)}</blockquote>;
      case "rule":
        return <hr key={index} />;
    }
  };

  return <>{parseMarkdown(source).map(block)}</>;
}

function alignClass(align: string | null | undefined): string | undefined {
  return align ? `align-${align}` : undefined;
}
