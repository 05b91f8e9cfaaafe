/** An error whose message is what the control service answers after `ERROR: `. */
export class CommandError extends Error {
  override name = 'CommandError';
}
