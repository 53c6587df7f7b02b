import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The first group of `pattern` in what `command args` prints, or undefined when the command is not installed (or prints no match). */
export async function commandVersion(command: string, args: readonly string[], pattern: RegExp): Promise<string | undefined> {
  try {
    const { stdout } = await run(command, args);
    return pattern.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}
