/*
 * Types shared by the layers that are not part of the public API. A leaf.
 */

/** The cost of one call, from the configured pricing (mapping/cost.ts). */
export interface Cost {
  input: number;
  output: number;
  total: number;
  currency: string;
}

