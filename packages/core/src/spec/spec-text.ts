/**
 * Spec text (YAML or JSON; JSON is read as the YAML it also is, so both get line numbers) as plain
 * data, within bounds: a document of at most 32 MiB, nested at most 64 levels, with at most 100
 * aliases that expand to a bounded document. A file beyond them (a YAML "billion laughs" alias bomb,
 * ten thousand nested brackets, a dataset pasted inline by the gigabyte) is a validation error that
 * says which bound, not a stack trace or a process out of memory. Syntax errors come with line and
 * column.
 */
import { LineCounter, Lexer, isAlias, isMap, isNode, isPair, isSeq, parseDocument } from "yaml";
import { type Issue, ValidationError } from "../errors.js";
import { parsePath } from "../issue-path.js";

/** A spec states a run, not its data: large datasets belong in JSONL files (dataset.source.kind: jsonl). */
export const MAX_SPEC_BYTES = 32 * 1024 * 1024;
/** The deepest spec path is a handful of levels (dataset.source.train[3].label); 64 is for any hand-written YAML. */
export const MAX_SPEC_DEPTH = 64;
/** Anchors and aliases are for sharing a prompt or a model entry; a hundred is plenty. */
export const MAX_SPEC_ALIASES = 100;

export interface ReadSpec {
  /** The document as plain data. */
  raw: unknown;
  /** `line N` for an issue path, where the document has a node at (or above) that path. */
  lineOf(path: string): number | undefined;
}

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** The deepest nesting of flow collections ([…], {…}), read by the lexer alone: it is linear and stack-free, unlike the parser. */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === "[" || token === "{") max = Math.max(max, ++depth);
    else if (token === "]" || token === "}") depth = Math.max(0, depth - 1);
  }
  return max;
}

/** The deepest collection nesting and the number of alias nodes of a parsed document, walked without recursion. */
function shapeOf(root: unknown): { depth: number; aliases: number } {
  let depth = 0;
  let aliases = 0;
  const stack: [unknown, number][] = [[root, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, level] = next;
    if (isAlias(node)) aliases++;
    else if (isPair(node)) stack.push([node.key, level], [node.value, level]);
    else if (isMap(node) || isSeq(node)) {
      depth = Math.max(depth, level);
      for (const item of node.items as unknown[]) stack.push([item, level + 1]);
    }
  }
  return { depth, aliases };
}

/** The problem with a document of `bytes` bytes, if it is larger than a spec may be. */
export function sizeIssue(bytes: number): Issue | undefined {
  if (bytes <= MAX_SPEC_BYTES) return undefined;
  return {
    path: "(document)",
    expected: `a document of at most ${mib(MAX_SPEC_BYTES)}`,
    found: mib(bytes),
    hint: "keep large datasets in JSONL files: dataset.source: { kind: jsonl, train: <file>, heldOut: <file> }",
  };
}

function tooDeep(found: string): Issue {
  return {
    path: "(document)",
    expected: `a document nested at most ${MAX_SPEC_DEPTH} levels deep`,
    found,
  };
}

/** Parse spec text; throws ValidationError with every syntax error (each with its line and column) or the bound it breaks. */
export function parseSpecText(text: string, source: string): ReadSpec {
  const valid = source.endsWith(".json") ? "valid JSON" : "valid YAML";
  const size = sizeIssue(Buffer.byteLength(text, "utf8"));
  if (size) throw new ValidationError(source, [size]);
  const flow = flowDepth(text);
  if (flow > MAX_SPEC_DEPTH) throw new ValidationError(source, [tooDeep(`brackets nested ${flow} levels deep`)]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ValidationError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const message = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "");
        // The parser recurses per level: a document nested deeper than its stack reports this.
        if (message.includes("Maximum call stack size exceeded")) return tooDeep("a document nested deeper than the parser's stack");
        return { path: pos ? `line ${pos.line}, column ${pos.col}` : "(document)", expected: valid, found: message };
      }),
    );
  }
  const shape = shapeOf(doc.contents);
  const bounds: Issue[] = [];
  if (shape.depth > MAX_SPEC_DEPTH) bounds.push(tooDeep(`${shape.depth} levels`));
  if (shape.aliases > MAX_SPEC_ALIASES) {
    bounds.push({ path: "(document)", expected: `at most ${MAX_SPEC_ALIASES} aliases (*name)`, found: `${shape.aliases} aliases` });
  }
  if (bounds.length > 0) throw new ValidationError(source, bounds);
  const lineOf = (path: string): number | undefined => {
    const segments = parsePath(path);
    if (segments === undefined) return undefined;
    for (let n = segments.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  let raw: unknown;
  try {
    raw = doc.contents === null ? null : doc.toJS({ maxAliasCount: MAX_SPEC_ALIASES });
  } catch (error) {
    // yaml counts what each alias expands to: aliases of aliases of … (a "billion laughs") exceed it.
    if (!(error instanceof ReferenceError)) throw error;
    throw new ValidationError(source, [
      {
        path: "(document)",
        expected: `aliases that expand to a bounded document (each alias's expansion × its uses at most ${MAX_SPEC_ALIASES})`,
        found: "aliases of aliases that expand exponentially (an alias bomb)",
      },
    ]);
  }
  return { raw, lineOf };
}
