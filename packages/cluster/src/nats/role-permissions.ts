/**
 * Who may do what on NATS: one user per maspo role (coordinator, executor, evaluator, mutator), each
 * allowed only the subjects its role uses (subjects.ts), rendered as a nats-server `authorization`
 * block. This is the one source of the permissions: deploy/nats/maspo-auth.conf is this rendering
 * (a test checks it is current), and the permission tests start a real nats-server with it.
 *
 * What they rule out: a worker publishing a result for another role (results go to
 * `maspo.<run>.result.<role>`, and the coordinator reads a result as its subject's role's, whatever
 * the envelope claims), taking or acknowledging another role's tasks (its pull and ack subjects name the role's
 * consumer), submitting tasks, or creating, changing or deleting a run's streams. A worker still
 * publishes its own role's results: a forged one from a worker of the same role is caught by the
 * coordinator's result validation (dead-lettered, the task retried; queue-workers.ts).
 */
import { WORKER_ROLES, type WorkerRole } from "@maspo/core";
import { RATE_LIMIT_BUCKET, RESPONSE_CACHE_BUCKET, RUN_REGISTRY_BUCKET, SPEND_LEDGER_BUCKET, workConsumerName } from "../subjects.js";

export type MaspoRole = "coordinator" | WorkerRole;
export const MASPO_ROLES: readonly MaspoRole[] = ["coordinator", ...WORKER_ROLES];

export interface SubjectPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[]; deny?: string[] };
}

/** The NATS user of a role in the rendered config: `maspo-<role>`. */
export function roleUser(role: MaspoRole): string {
  return `maspo-${role}`;
}

/** The environment variable the rendered config (and `--password-env`) reads a role's password from. */
export function rolePasswordEnv(role: MaspoRole): string {
  return `MASPO_NATS_${role.toUpperCase()}_PASSWORD`;
}

/**
 * The KV buckets shared by every run that workers open (creating them if missing), read, write and
 * watch: the response cache, the run registry, the runs' spend ledger and the rate-limit windows. A
 * new shared bucket must be added here, or workers are refused it (the permission tests run a real run).
 */
const WORKER_BUCKETS = [RESPONSE_CACHE_BUCKET, RUN_REGISTRY_BUCKET, SPEND_LEDGER_BUCKET, RATE_LIMIT_BUCKET];

/** The JetStream API subjects of one shared KV bucket. */
function sharedBucketApi(bucket: string): string[] {
  const stream = `KV_${bucket}`;
  return [
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.STREAM.UPDATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$KV.${bucket}.>`,
  ];
}

/**
 * A role's permissions. The coordinator may do anything but publish a result; a worker only its
 * role's part: pull, heartbeat and ack on its role's consumer (on any run's work stream: stream names
 * are single tokens, `MASPO_<run>_WORK`, so the consumer name is what pins the role), publish its
 * role's results and dead letters, read streams and KV (a run's spec), and use the shared buckets
 * (WORKER_BUCKETS).
 */
export function rolePermissions(role: MaspoRole): SubjectPermissions {
  if (role === "coordinator") {
    return { publish: { allow: [">"], deny: ["maspo.*.result.*"] }, subscribe: { allow: [">"] } };
  }
  const consumer = workConsumerName(role);
  return {
    publish: {
      allow: [
        `maspo.*.result.${role}`,
        "maspo.*.dead",
        "$JS.API.INFO",
        "$JS.API.STREAM.NAMES",
        "$JS.API.STREAM.LIST",
        "$JS.API.STREAM.INFO.*",
        "$JS.API.STREAM.MSG.GET.*",
        "$JS.API.DIRECT.GET.>",
        // A task delivered maxDeliver times is removed once its error result is out (JetStreamProcessor.giveUp).
        "$JS.API.STREAM.MSG.DELETE.*",
        `$JS.API.CONSUMER.CREATE.*.${consumer}`,
        `$JS.API.CONSUMER.CREATE.*.${consumer}.>`,
        `$JS.API.CONSUMER.DURABLE.CREATE.*.${consumer}`,
        `$JS.API.CONSUMER.INFO.*.${consumer}`,
        `$JS.API.CONSUMER.MSG.NEXT.*.${consumer}`,
        `$JS.ACK.*.${consumer}.>`,
        "$JS.FC.>",
        ...WORKER_BUCKETS.flatMap(sharedBucketApi),
      ],
    },
    subscribe: {
      allow: [
        "_INBOX.>",
        `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.*.${consumer}`,
        // Leader elections and lost quorum, which every process reports (nats/outage-watch.ts).
        "$JS.EVENT.ADVISORY.STREAM.>",
        "$JS.EVENT.ADVISORY.CONSUMER.>",
      ],
    },
  };
}

export interface RoleCredential {
  role: MaspoRole;
  /** Default roleUser(role). */
  user?: string;
  /** A literal password (tests); absent, the config reads `$<rolePasswordEnv(role)>` from nats-server's environment. */
  password?: string;
}

/** nats-server config: `authorization { users: [...] }` with one user per role and its permissions. */
export function renderRoleAuthorization(credentials: readonly RoleCredential[] = MASPO_ROLES.map((role) => ({ role }))): string {
  // One subject a line, so a review of the config (or of a change to it) reads like a list.
  const list = (name: string, subjects: readonly string[], indent: string): string[] => [
    `${indent}${name}: [`,
    ...subjects.map((subject) => `${indent}  ${JSON.stringify(subject)}`),
    `${indent}]`,
  ];
  const side = (name: string, p: { allow: string[]; deny?: string[] }): string[] => [
    `        ${name}: {`,
    ...list("allow", p.allow, "          "),
    ...(p.deny ? list("deny", p.deny, "          ") : []),
    `        }`,
  ];
  const users = credentials.flatMap((c) => {
    const permissions = rolePermissions(c.role);
    const password = c.password !== undefined ? JSON.stringify(c.password) : `$${rolePasswordEnv(c.role)}`;
    return [
      `    {`,
      `      user: ${JSON.stringify(c.user ?? roleUser(c.role))}`,
      `      password: ${password}`,
      `      permissions: {`,
      ...side("publish", permissions.publish),
      ...side("subscribe", permissions.subscribe),
      `      }`,
      `    }`,
    ];
  });
  return [
    "# One NATS user per maspo role, each allowed only its role's subjects. Generated from",
    "# packages/cluster/src/nats/role-permissions.ts (renderRoleAuthorization) by scripts/write-nats-auth.js:",
    "# do not edit by hand.",
    "authorization {",
    "  users: [",
    ...users,
    "  ]",
    "}",
    "",
  ].join("\n");
}
