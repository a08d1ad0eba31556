/**
 * The built-in policy kinds, by the name a scenario's `kind:` gives: one explicit table instead of
 * registration by import side effect, so `buildPolicy` knows every kind whoever imports it.
 */
import { classicKinds } from "./classic.js";
import { envoyKind } from "./envoy/policy.js";
import type { PolicyFactory } from "./kind.js";
import { litellmKind } from "./litellm/policy.js";
import { nginxKind } from "./nginx/policy.js";
import { openRouterKind } from "./openrouter/kind.js";
import { portkeyKind } from "./portkey/policy.js";
import { randomPolicyKind } from "./random.js";

export const BUILT_IN_KINDS: Readonly<Record<string, PolicyFactory>> = {
  openrouter: openRouterKind,
  random: randomPolicyKind,
  ...classicKinds,
  portkey: portkeyKind,
  envoy: envoyKind,
  nginx: nginxKind,
  litellm: litellmKind,
};
