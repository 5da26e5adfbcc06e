// Wire constants of server-side compaction, in a module light enough for activation to import.
export const THRESHOLD_BETA = 'compact-2026-01-12';
export const ON_DEMAND_BETA = 'compact-2026-09-04';
/** The API refuses a threshold trigger below this. */
export const MIN_TRIGGER_TOKENS = 50_000;
