/**
 * @agentworkspace/sdk/git — the git queries of a local repository that `LocalWorkspace.gitChanges` / `gitDiff`
 * answer with, and that the agent server's `/api/git` and archive routes use: one implementation of both.
 */
export {
  EMPTY_TREE, GitCommandError, GitRepositoryError, git, validateRepository, baseRef,
  gitChanges, gitDiff, gitCommitFileDiff, gitCommits, gitCommitChanges,
} from './workspace/git.js';
export type { GitChange, GitChangeStatus, GitDiff, GitCommit, GitCommitsPage } from './workspace/git.js';
