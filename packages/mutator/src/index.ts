/** @maspo/mutator: public surface. */
export {};
