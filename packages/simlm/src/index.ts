/** @maspo/simlm: public surface. */
export {};
