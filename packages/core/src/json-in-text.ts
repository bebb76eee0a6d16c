/**
 * Finding the JSON a model meant to send inside the text it actually sent. Even in JSON mode, models
 * wrap objects in code fences, prepend prose, or append a remark; the judge and the optimizer both
 * answer with one JSON object and both parsers start here.
 */

/** Every top-level JSON value that parses as an object or array, in order of appearance. */
export function jsonValuesIn(text: string): unknown[] {
  const whole = tryParse(text.trim());
  if (whole !== undefined && typeof whole === "object" && whole !== null) return [whole];
  const found: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      const end = matchingClose(text, i);
      if (end !== -1) {
        const value = tryParse(text.slice(i, end + 1));
        if (value !== undefined && typeof value === "object" && value !== null) {
          found.push(value);
          i = end + 1;
          continue;
        }
      }
    }
    i++;
  }
  return found;
}

/** A key of `obj` matched case- and separator-insensitively (`newPrompt`, `new_prompt`, `New Prompt`). */
export function fieldOf(obj: Record<string, unknown>, ...names: readonly string[]): unknown {
  const wanted = new Set(names.map(normaliseKey));
  for (const [k, v] of Object.entries(obj)) if (wanted.has(normaliseKey(k))) return v;
  return undefined;
}

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function tryParse(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    // Not JSON: the caller goes on looking (a miss here is expected, not an error).
    return undefined;
  }
}

/** Index of the bracket closing the one at `start`, honouring strings and escapes; -1 if unbalanced. */
function matchingClose(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{") stack.push("}");
    else if (ch === "[") stack.push("]");
    else if (ch === "}" || ch === "]") {
      if (stack.pop() !== ch) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}
