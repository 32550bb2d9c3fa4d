// The git queries live in the SDK (LocalWorkspace answers gitChanges/gitDiff with the same code the
// /api/git routes use); this module keeps the server's imports where they were.
export * from '@agentworkspace/sdk/workspace/git';
