/** The scenario JSON Schema, for editors (yaml-language-server) and other tools. */
import { z } from "zod";
import { Scenario } from "./schema.js";

export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(Scenario, { io: "input", unrepresentable: "any", reused: "ref" }),
    title: "routesim scenario",
  } as Record<string, unknown>;
}
