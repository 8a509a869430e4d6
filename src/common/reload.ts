/**
 * A config reload in two phases, so that a config is taken whole or not at all: every module that
 * follows the config first *prepares* the new one (compiles rules, builds actuators and vendor
 * adapters, reads secrets from the environment) without touching what runs, and throws
 * ReloadError when it cannot; only when every module prepared, the wiring calls each one's
 * Commit, which swaps the module over and cannot fail.
 */

/** A prepared change of one module: calling it applies the new config. Never throws. */
export type Commit = () => void;

/** One reason a config cannot be taken, at its YAML path (`control.actuators[0].secretEnv`). */
export interface ReloadIssue {
  path: string;
  message: string;
}

/** What a module's prepare throws when it cannot take a config: every issue it found. */
export class ReloadError extends Error {
  override name = 'ReloadError';
  readonly issues: readonly ReloadIssue[];

  constructor(issues: ReloadIssue | readonly ReloadIssue[]) {
    const list: readonly ReloadIssue[] = 'path' in issues ? [issues] : issues;
    super(list.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.issues = list;
  }
}
