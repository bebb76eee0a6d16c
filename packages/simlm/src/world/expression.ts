/**
 * The small integer expression language of world files: problem answers (`a + b * c - d`) and the
 * `{...}` slots of fact templates. Parsed once when a world loads, so a typo is a load-time issue
 * with its path, not a crash in the middle of a run.
 */

export type Value = number | string;

export type Expr =
  | { kind: "num"; value: number }
  | { kind: "var"; name: string }
  | { kind: "neg"; arg: Expr }
  | { kind: "bin"; op: "+" | "-" | "*" | "/" | "%"; left: Expr; right: Expr };

export class ExpressionSyntaxError extends Error {}

/** Raised when a well-formed expression cannot be evaluated (unknown variable, division by zero, text arithmetic). */
export class ExpressionEvalError extends Error {}

const TOKEN = /\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(.))/y;

type Token = { kind: "num"; value: number } | { kind: "id"; name: string } | { kind: "op"; op: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(source);
    if (!m) break;
    if (m[1] !== undefined) tokens.push({ kind: "num", value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: "id", name: m[2] });
    else if (m[3] !== undefined) {
      if (!"+-*/%()".includes(m[3])) throw new ExpressionSyntaxError(`unexpected character "${m[3]}" at ${start}`);
      tokens.push({ kind: "op", op: m[3] });
    }
  }
  return tokens;
}

/** Parse `source` (integers, variables, + - * / % and parentheses; `/` is floor division). */
export function parseExpression(source: string): Expr {
  const tokens = tokenize(source);
  let pos = 0;
  const peekOp = (): string | undefined => {
    const t = tokens[pos];
    return t?.kind === "op" ? t.op : undefined;
  };
  const sum = (): Expr => {
    let left = product();
    for (let op = peekOp(); op === "+" || op === "-"; op = peekOp()) {
      pos++;
      left = { kind: "bin", op, left, right: product() };
    }
    return left;
  };
  const product = (): Expr => {
    let left = unary();
    for (let op = peekOp(); op === "*" || op === "/" || op === "%"; op = peekOp()) {
      pos++;
      left = { kind: "bin", op, left, right: unary() };
    }
    return left;
  };
  const unary = (): Expr => {
    const t = tokens[pos];
    if (!t) throw new ExpressionSyntaxError("expression ends too early");
    pos++;
    if (t.kind === "num") return { kind: "num", value: t.value };
    if (t.kind === "id") return { kind: "var", name: t.name };
    if (t.op === "-") return { kind: "neg", arg: unary() };
    if (t.op === "(") {
      const inner = sum();
      if (peekOp() !== ")") throw new ExpressionSyntaxError("missing closing parenthesis");
      pos++;
      return inner;
    }
    throw new ExpressionSyntaxError(`unexpected "${t.op}"`);
  };
  if (tokens.length === 0) throw new ExpressionSyntaxError("empty expression");
  const expr = sum();
  if (pos < tokens.length) throw new ExpressionSyntaxError("unexpected text after the expression");
  return expr;
}

export function expressionVariables(expr: Expr, into: Set<string> = new Set()): Set<string> {
  if (expr.kind === "var") into.add(expr.name);
  else if (expr.kind === "neg") expressionVariables(expr.arg, into);
  else if (expr.kind === "bin") {
    expressionVariables(expr.left, into);
    expressionVariables(expr.right, into);
  }
  return into;
}

export function evaluate(expr: Expr, vars: Readonly<Record<string, Value>>): Value {
  switch (expr.kind) {
    case "num":
      return expr.value;
    case "var": {
      const v = vars[expr.name];
      if (v === undefined) throw new ExpressionEvalError(`unknown variable "${expr.name}"`);
      return v;
    }
    case "neg":
      return -numeric(evaluate(expr.arg, vars));
    case "bin": {
      const l = evaluate(expr.left, vars);
      const r = evaluate(expr.right, vars);
      const a = numeric(l);
      const b = numeric(r);
      switch (expr.op) {
        case "+":
          return a + b;
        case "-":
          return a - b;
        case "*":
          return a * b;
        case "/":
          if (b === 0) throw new ExpressionEvalError("division by zero");
          return Math.floor(a / b);
        case "%":
          if (b === 0) throw new ExpressionEvalError("division by zero");
          return ((a % b) + b) % b;
      }
    }
  }
}

function numeric(v: Value): number {
  if (typeof v !== "number") throw new ExpressionEvalError(`"${v}" is text; arithmetic needs numbers`);
  return v;
}

/** A template with `{expression}` slots, e.g. `"{b} x {c} = {b*c}"`, split into literal and slot parts. */
export type TemplatePart = { kind: "text"; text: string } | { kind: "slot"; source: string; expr: Expr };

export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (m.index > last) parts.push({ kind: "text", text: template.slice(last, m.index) });
    const source = m[1] ?? "";
    parts.push({ kind: "slot", source, expr: parseExpression(source) });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ kind: "text", text: template.slice(last) });
  return parts;
}

export function renderTemplate(parts: readonly TemplatePart[], vars: Readonly<Record<string, Value>>): string {
  return parts.map((p) => (p.kind === "text" ? p.text : String(evaluate(p.expr, vars)))).join("");
}
