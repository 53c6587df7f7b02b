import { MAX_RESOURCE_NAME_LENGTH } from './limits.js';

/**
 * Resource names are also file names (lock-client keeps `<name>.txt`) and
 * appear in logs and URLs, so the rule is a strict whitelist: 1 to
 * MAX_RESOURCE_NAME_LENGTH characters from `A-Z a-z 0-9 _ - .`, not starting
 * with `.` or `-`. That rules out path separators, `..`, NUL and control
 * characters, and names a shell would read as options.
 */
const RESOURCE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Why a resource name is refused, or undefined when it is valid. */
export function resourceNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'resource must be a string';
  if (name.length === 0) return 'resource must not be empty';
  if (name.length > MAX_RESOURCE_NAME_LENGTH) {
    return `resource name is ${name.length} characters; the limit is ${MAX_RESOURCE_NAME_LENGTH}`;
  }
  if (!RESOURCE_NAME_PATTERN.test(name)) {
    return `resource name ${JSON.stringify(name)} may use only letters, digits, '_', '-' and '.', and must not start with '.' or '-'`;
  }
  return undefined;
}

/** True when `name` is a valid resource name. */
export function isValidResourceName(name: unknown): name is string {
  return resourceNameProblem(name) === undefined;
}
