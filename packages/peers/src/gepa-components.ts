/**
 * GEPA's component selector: which components (here: agents' prompts) one reflective iteration
 * rewrites. `round_robin` (GEPA's default) takes the candidate's next component and advances its
 * pointer; `all` takes every component, so a losing edit can ride along with a winning one.
 */

export interface ComponentChoice {
  chosen: string[];
  /** The candidate's pointer after the choice. */
  pointer: number;
}

export type ComponentSelector = (pointer: number, components: readonly string[]) => ComponentChoice;

export const roundRobin: ComponentSelector = (pointer, components) => ({
  chosen: [components[pointer % components.length] as string],
  pointer: (pointer + 1) % components.length,
});

export const allComponents: ComponentSelector = (pointer, components) => ({ chosen: [...components], pointer });
