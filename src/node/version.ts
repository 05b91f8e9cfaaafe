// The Version the embedded node reports in `status`. receptorctl compares it with its own version and
// prints a warning when they differ (receptorctl/cli.py), so the node reports the Receptor release whose
// protocol it follows; startNode's `version` option overrides it.
export const RECEPTOR_COMPAT_VERSION = '1.6.5';
