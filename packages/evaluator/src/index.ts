/** @maspo/evaluator: public surface. */
export {};
