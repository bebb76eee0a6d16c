/** The `maspo` command line. */
export async function main(_argv: readonly string[]): Promise<number> {
  return 0;
}
