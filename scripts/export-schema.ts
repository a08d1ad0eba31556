// Writes schema/scenario.schema.json from the zod schema (run: npm run schema).
import { writeFileSync } from "node:fs";
import { scenarioJsonSchema } from "../src/scenario/jsonschema.js";

writeFileSync("schema/scenario.schema.json", `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
