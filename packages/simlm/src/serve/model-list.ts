/**
 * `GET /v1/models` bodies. A simlm world answers to any model name in a chat request; the list names
 * the world itself (and any model ids it declares) so a client's model discovery finds something.
 */

export interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

export interface ModelList {
  object: "list";
  data: ModelObject[];
}

/** A fixed creation time: listing the same world twice gives the same bytes. */
const MODEL_CREATED = 1_700_000_000;

export function modelObject(id: string): ModelObject {
  return { id, object: "model", created: MODEL_CREATED, owned_by: "simlm" };
}

export function buildModelList(modelIds: readonly string[]): ModelList {
  return { object: "list", data: modelIds.map(modelObject) };
}
