/** @maspo/coordinator: public surface. */
export {};
