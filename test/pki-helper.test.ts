import { X509Certificate } from 'node:crypto';
import { createCodeSigningChain, generateKey } from './helpers/pki';

describe('test PKI helper', () => {
  test('builds a chain whose links verify with node:crypto', async () => {
    const chain = await createCodeSigningChain({ leafKeyType: 'rsa-pss-3072' });
    const leaf = new X509Certificate(chain.leaf.der);
    const int = new X509Certificate(chain.intermediate.der);
    const root = new X509Certificate(chain.root.der);
    expect(leaf.checkIssued(int)).toBe(true);
    expect(leaf.verify(int.publicKey)).toBe(true);
    expect(int.verify(root.publicKey)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(false);
    expect(int.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.3']);
  });
  test('reuses cached keys on request', async () => {
    const a = await generateKey('ec-p256', 0);
    const b = await generateKey('ec-p256', 0);
    expect(a).toBe(b);
  });
});
