import { describe, expect, it } from "vitest";
import { evaluate, ExpressionEvalError, ExpressionSyntaxError, parseExpression, parseTemplate, renderTemplate } from "./expression.js";

describe("expressions", () => {
  it("follow arithmetic precedence with floor division", () => {
    expect(evaluate(parseExpression("a + b * c - 7 / 2"), { a: 1, b: 2, c: 3 })).toBe(4);
    expect(evaluate(parseExpression("-(a - 10) % 4"), { a: 3 })).toBe(3);
  });

  it("reject malformed input with a syntax error", () => {
    expect(() => parseExpression("a + * b")).toThrow(ExpressionSyntaxError);
    expect(() => parseExpression("(a + b")).toThrow(ExpressionSyntaxError);
  });

  it("reject division by zero and unknown variables at evaluation", () => {
    expect(() => evaluate(parseExpression("a / b"), { a: 1, b: 0 })).toThrow(ExpressionEvalError);
    expect(() => evaluate(parseExpression("z"), {})).toThrow(ExpressionEvalError);
  });

  it("render templates with expression slots", () => {
    expect(renderTemplate(parseTemplate("{b} x {c} = {b*c}"), { b: 3, c: 4 })).toBe("3 x 4 = 12");
  });
});
