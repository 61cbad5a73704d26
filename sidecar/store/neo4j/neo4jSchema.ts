/**
 * Constraints and indexes of the Neo4j store (DESIGN.md "Data model"). Each statement is
 * idempotent (`IF NOT EXISTS`) and runs in its own auto-commit transaction: Neo4j does not mix
 * schema and data changes in one transaction.
 */
export const schemaStatements: readonly string[] = [
  'CREATE CONSTRAINT run_id IF NOT EXISTS FOR (r:Run) REQUIRE r.id IS UNIQUE',
  'CREATE CONSTRAINT node_id IF NOT EXISTS FOR (n:Node) REQUIRE n.id IS UNIQUE',

  // Runs list and stats: newest first, filtered by workflow, branch or status.
  'CREATE INDEX run_started_at IF NOT EXISTS FOR (r:Run) ON (r.startedAt)',
  'CREATE INDEX run_workflow IF NOT EXISTS FOR (r:Run) ON (r.workflow)',
  'CREATE INDEX run_git_branch IF NOT EXISTS FOR (r:Run) ON (r.gitBranch)',
  'CREATE INDEX run_status IF NOT EXISTS FOR (r:Run) ON (r.status)',
  // A run's replays and forks (GET /api/runs/:id/family walks replayOf down).
  'CREATE INDEX run_replay_of IF NOT EXISTS FOR (r:Run) ON (r.replayOf)',

  // A whole run (tree, counts, delete) by property, without expanding its IN_RUN relationships.
  'CREATE INDEX node_run_id IF NOT EXISTS FOR (n:Node) ON (n.runId)',
  'CREATE INDEX node_key IF NOT EXISTS FOR (n:Node) ON (n.key)',
  // Children pages in sibling order with a keyset cursor, and NEXT relinking. Roots have no
  // parentId (nulls are not indexed), so placed roots carry `rootOf` = their run id instead.
  'CREATE INDEX node_parent_seq IF NOT EXISTS FOR (n:Node) ON (n.parentId, n.seq)',
  'CREATE INDEX node_root_seq IF NOT EXISTS FOR (n:Node) ON (n.rootOf, n.seq)',
  // A whole run in seq order a page at a time (bundle export): one range seek per page.
  'CREATE INDEX node_run_seq IF NOT EXISTS FOR (n:Node) ON (n.runId, n.seq)',
  // Search, newest first: walking this index in order stops at the first page of matches.
  'CREATE INDEX node_started_at IF NOT EXISTS FOR (n:Node) ON (n.startedAt)',
];

/** Waits until every index is online (a fresh index is populated in the background). */
export const awaitIndexes = 'CALL db.awaitIndexes($timeoutSeconds)';
