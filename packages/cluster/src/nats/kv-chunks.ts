/**
 * Values of any size in a JetStream KV bucket. A KV value is one message, capped by the server's
 * max_payload (1 MB by default); larger values are split into content-addressed chunk keys written
 * first, and the key itself holds a small manifest. Writing the manifest last (by compare-and-swap
 * where the caller needs it) means a reader never sees a half-written value.
 *
 * Chosen over the Object Store to keep one mechanism (and one package) for both stores, and because
 * checkpoints need compare-and-swap on the key, which the Object Store does not offer.
 */
import { createHash } from "node:crypto";
import type { KV } from "@nats-io/kv";
import { z } from "zod";
import { decode, encode } from "../codec.js";
import { MaspoError } from "@maspo/core";

const ManifestSchema = z.union([
  z.object({ inline: z.instanceof(Uint8Array) }),
  z.object({ chunks: z.array(z.string()), size: z.number().int().min(0), sha256: z.string() }),
]);
type Manifest = z.infer<typeof ManifestSchema>;

/** Room left in a message for the manifest wrapper, subject and headers. */
const HEADROOM = 16 * 1024;

export class KvValueError extends MaspoError<"E_KV_VALUE"> {
  constructor(key: string, reason: string) {
    super("E_KV_VALUE", `KV value "${key}" is unreadable: ${reason}; delete the key and let it be rewritten`);
  }
}

export function chunkSizeFor(maxPayload: number): number {
  return Math.max(1024, maxPayload - HEADROOM);
}

/** Writes any chunks `bytes` needs and returns the manifest to store at the key. */
export async function writeChunks(kv: KV, bytes: Uint8Array, chunkSize: number): Promise<Uint8Array> {
  if (bytes.length <= chunkSize) return encode({ inline: bytes });
  const chunks: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    const chunk = bytes.subarray(offset, offset + chunkSize);
    const key = `chunk.${sha256(chunk)}`;
    await kv.put(key, chunk);
    chunks.push(key);
  }
  return encode({ chunks, size: bytes.length, sha256: sha256(bytes) } satisfies Manifest);
}

/** Reassembles the value a manifest describes. */
export async function readChunks(kv: KV, key: string, manifestBytes: Uint8Array): Promise<Uint8Array> {
  const manifest = decode(ManifestSchema, manifestBytes, `KV manifest "${key}"`);
  if ("inline" in manifest) return manifest.inline;
  const out = new Uint8Array(manifest.size);
  let offset = 0;
  for (const chunkKey of manifest.chunks) {
    const entry = await kv.get(chunkKey);
    if (!entry || entry.operation !== "PUT") throw new KvValueError(key, `chunk ${chunkKey} is missing`);
    if (offset + entry.value.length > out.length) throw new KvValueError(key, "chunks are longer than the manifest says");
    out.set(entry.value, offset);
    offset += entry.value.length;
  }
  if (offset !== manifest.size || sha256(out) !== manifest.sha256) throw new KvValueError(key, "chunks do not match the manifest");
  return out;
}

/** Chunk keys a manifest refers to (none for an inline value). */
export function chunkKeys(manifestBytes: Uint8Array, key: string): string[] {
  const manifest = decode(ManifestSchema, manifestBytes, `KV manifest "${key}"`);
  return "chunks" in manifest ? manifest.chunks : [];
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
