// Loads @peculiar/x509 on first use. It needs reflect-metadata (for tsyringe) loaded before it, and it
// costs ~150 ms at startup, so nothing imports it statically: commands that do not touch certificates
// stay fast.
import { webcrypto } from 'node:crypto';

export type X509 = typeof import('@peculiar/x509');

let loading: Promise<X509> | undefined;

export function loadX509(): Promise<X509> {
  loading ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    // Node has no global `self`, so @peculiar/x509 finds no default provider: hand it Node's WebCrypto. The global
    // one first: in the `meshctl node -c FILE` bundle, node:crypto's exports are lazy Proxies
    // (scripts/lazy-modules.mjs), and WebCrypto's methods refuse a Proxy as `this` ("Value of "this" must be of
    // type Crypto"), which broke receptor's cert-* sections run from a config file (issue 12).
    const crypto = (globalThis as { crypto?: unknown }).crypto ?? webcrypto;
    x509.cryptoProvider.set(crypto as unknown as Parameters<X509['cryptoProvider']['set']>[0]);
    return x509;
  })();
  return loading;
}
