// An esbuild plugin (scripts/bundle-cli.mjs): modules loaded on first use rather than when the module importing
// them starts. Each import of one of them resolves to a facade: its default export and every function or object
// the module exports is a Proxy that loads the real module on first touch (a call, `new`, a property read,
// `instanceof`), so the sources keep their plain static imports. Primitive exports are not re-exported: a named
// import of one fails the build. Tested in test/unit/build/lazy-modules.test.ts.
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** `names`: module specifiers (`node:tls`, `ws`); `root`: where the bundled ones resolve from. */
export function lazyModules(names, root) {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
  const req = createRequire(join(root, 'package.json'));
  return {
    name: 'lazy-modules',
    setup(b) {
      // Only imports go through the facade. A require() resolves as usual (bundled, or external for a builtin):
      // the facade's own, and those in functions sent elsewhere as text (the unit runner's source,
      // src/node/work/runner/script.ts, must keep its literal require('node:child_process')).
      b.onResolve({ filter }, (args) =>
        args.namespace === 'lazy-module' || args.kind === 'require-call' ? undefined : { path: args.path, namespace: 'lazy-module' },
      );
      b.onResolve({ filter: /^lazy-module-runtime$/ }, () => ({ path: 'runtime', namespace: 'lazy-module-runtime' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-module-runtime' }, () => ({ contents: LAZY_RUNTIME, loader: 'js' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => {
        const real = req(args.path);
        const lines = [
          "import { lazy } from 'lazy-module-runtime';",
          `let m;`,
          `const load = () => (m ??= require(${JSON.stringify(args.path)}));`,
          'export default lazy(load);',
        ];
        for (const key of Object.keys(real)) {
          const kind = typeof real[key];
          if (key === 'default' || !/^[A-Za-z_$][\w$]*$/.test(key) || (kind !== 'function' && kind !== 'object')) continue;
          lines.push(`export const ${key} = lazy(() => load().${key}, ${kind === 'function'});`);
        }
        return { contents: lines.join('\n'), loader: 'js', resolveDir: root };
      });
    },
  };
}

// One Proxy per lazily loaded value. A function target keeps `new`, calls and `instanceof` working
// (OrdinaryHasInstance reads `prototype` through the get trap). util.promisify(fn) at a module's top level
// (src/certs/keys.ts: generateKeyPair) reads fn's promisify.custom at once: it gets a function that promisifies the
// real one on first call, so the module still loads then, and crypto.generateKeyPair keeps its own custom form.
const LAZY_RUNTIME = `
const PROMISIFY_CUSTOM = Symbol.for('nodejs.util.promisify.custom');
export function lazy(load, callable = false) {
  let promisified;
  const proxy = new Proxy(callable ? function () {} : {}, {
    get: (_t, p) =>
      callable && p === PROMISIFY_CUSTOM
        ? (promisified ??= (...args) => require('node:util').promisify(load())(...args))
        : Reflect.get(load(), p),
    set: (_t, p, v) => Reflect.set(load(), p, v),
    has: (_t, p) => Reflect.has(load(), p),
    getPrototypeOf: () => Reflect.getPrototypeOf(load()),
    apply: (_t, self, args) => Reflect.apply(load(), self, args),
    construct: (_t, args, newTarget) => Reflect.construct(load(), args, newTarget === proxy ? load() : newTarget),
  });
  return proxy;
}
`;

