// Git for test fixtures: a fixed author and `main` as the initial branch, whatever the machine's git config says.
import { execFileSync } from 'node:child_process';

/** Runs `git <args>` in `cwd` as "Test Author" and returns its stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test Author', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
}
