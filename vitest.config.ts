import { configDefaults, defineConfig } from "vitest/config";

// The live tests against the real Portkey gateway and nginx run on a wall clock: `npm run
// live:portkey` and `npm run live:nginx` run them alone (CI calls them after `npm test`), away from
// the suite's parallel load.
const live = process.env.ROUTESIM_LIVE_RESULTS !== undefined;
// The PostgreSQL test starts a throwaway cluster of Debian's postgresql: `npm run test:postgres`.
const postgres = process.env.ROUTESIM_POSTGRES !== undefined;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [
      ...configDefaults.exclude,
      ...(live ? [] : ["test/live/portkey.test.ts", "test/live/nginx.test.ts"]),
      ...(postgres ? [] : ["test/logs/postgres.test.ts"]),
    ],
    testTimeout: 60_000,
    pool: "forks",
  },
});
