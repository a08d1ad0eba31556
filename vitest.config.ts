import { configDefaults, defineConfig } from "vitest/config";

// The live test against the real Portkey gateway runs on a wall clock: `npm run live:portkey`
// runs it alone (CI calls it after `npm test`), away from the suite's parallel load.
const live = process.env.ROUTESIM_LIVE_RESULTS !== undefined;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: live ? configDefaults.exclude : [...configDefaults.exclude, "test/live/portkey.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
