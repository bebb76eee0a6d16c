import type { ServerInfo } from "@nats-io/transport-node";
import { ValidationError } from "@maspo/core";
import { describe, expect, test } from "vitest";
import { serverInfo } from "./server-info.fixture.js";
import { assertReplicasFit, chooseReplicas, clusterSizeOf, defaultReplicas, describeReplicas, ReplicasError } from "./replicas.js";

/** `cluster` and `connect_urls` come only from a clustered server. */
const info = serverInfo;
const clustered = (servers: number): ServerInfo =>
  info({ cluster: "c1", connect_urls: Array.from({ length: servers }, (_, i) => `127.0.0.1:${4222 + i}`) });

describe("cluster size from the server's INFO", () => {
  test("a server outside a cluster (no cluster field) is a cluster of 1", () => {
    expect(clusterSizeOf(info())).toBe(1);
  });

  test("a clustered server counts the distinct client URLs it advertises, itself included", () => {
    expect(clusterSizeOf(clustered(3))).toBe(3);
    expect(clusterSizeOf(info({ cluster: "c1", connect_urls: ["a:1", "b:1", "a:1"] }))).toBe(2);
  });

  test("a cluster that advertises no URLs (no_advertise) has an unknown size, as has a connection without INFO", () => {
    expect(clusterSizeOf(info({ cluster: "c1" }))).toBeUndefined();
    expect(clusterSizeOf(undefined)).toBeUndefined();
  });
});

describe("the default replicas rule: min(3, cluster size), 1 on a single server", () => {
  test.each([
    [1, 1],
    [2, 2],
    [3, 3],
    [5, 3],
    [7, 3],
  ])("a cluster of %i servers gets %i replica(s)", (size, replicas) => {
    expect(defaultReplicas(size)).toBe(replicas);
    expect(chooseReplicas({ info: size === 1 ? info() : clustered(size) })).toEqual({ replicas, clusterSize: size, source: "default" });
  });

  test("an unknown cluster size gets 1 replica", () => {
    expect(defaultReplicas(undefined)).toBe(1);
    expect(chooseReplicas({ info: info({ cluster: "c1" }) }).replicas).toBe(1);
  });
});

describe("replicas set by the operator", () => {
  test("a value set wins over the default, within the cluster", () => {
    expect(chooseReplicas({ info: clustered(5) }, 5)).toEqual({ replicas: 5, clusterSize: 5, source: "set" });
    expect(chooseReplicas({ info: clustered(3) }, 1)).toEqual({ replicas: 1, clusterSize: 3, source: "set" });
  });

  test("values outside JetStream's 1-5 are a ValidationError naming where they came from", () => {
    expect(() => chooseReplicas({ info: clustered(7) }, 6, "cluster.replicas")).toThrow(ValidationError);
    expect(() => chooseReplicas({ info: clustered(3) }, 0, "cluster.replicas")).toThrow(/cluster\.replicas/);
    expect(() => chooseReplicas({ info: clustered(3) }, 1.5)).toThrow(ValidationError);
  });

  test("more replicas than the cluster has servers are refused with E_NATS_REPLICAS, naming the size and the fix", () => {
    const nc = { info: clustered(3) };
    const choice = chooseReplicas(nc, 5, "cluster.replicas");
    expect(() => assertReplicasFit(nc, choice, "cluster.replicas")).toThrow(ReplicasError);
    expect(() => assertReplicasFit(nc, choice, "cluster.replicas")).toThrow(
      /cluster\.replicas is 5, but n1 is in a cluster of 3 servers.*at most 3/,
    );
    const single = { info: info() };
    expect(() => assertReplicasFit(single, chooseReplicas(single, 3), "cluster.replicas")).toThrow(/a single server, not a cluster/);
    let caught: unknown;
    try {
      assertReplicasFit(single, chooseReplicas(single, 2));
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: "E_NATS_REPLICAS" });
  });

  test("up to the cluster size fits, and an unknown size is left to the server", () => {
    const nc = { info: clustered(3) };
    expect(() => assertReplicasFit(nc, chooseReplicas(nc, 3))).not.toThrow();
    const unknown = { info: info({ cluster: "c1" }) };
    expect(() => assertReplicasFit(unknown, chooseReplicas(unknown, 5))).not.toThrow();
  });
});

test("the log line says how many, why, and on what", () => {
  expect(describeReplicas(chooseReplicas({ info: clustered(3) }))).toBe(
    "3 replica(s) per stream and bucket (the default, on a cluster of 3 servers)",
  );
  expect(describeReplicas(chooseReplicas({ info: info() }, 1))).toBe("1 replica(s) per stream and bucket (as set, on a single server)");
});
