/** @maspo/executor: public surface. */
export {};
