// The KubeClients a time-travel check talks through: a kubeconfig context's (the user's own
// transport and credentials: certificates, tokens, exec plugins), or watchscope's endpoint's
// (its per-run CA and token), so the same check runs against either.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../storage/kube/client.js';
import { KubeError } from '../../storage/kube/errors.js';
import { loadContext } from '../../storage/kube/kubeconfig.js';

/** A context of the kubeconfig ($KUBECONFIG or ~/.kube/config unless `kubeconfig` is given). */
export async function contextClient(o: { kubeconfig?: string | undefined; context?: string | undefined }): Promise<KubeClient> {
  let loaded;
  try {
    loaded = await loadContext({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), ...(o.context ? { context: o.context } : {}) });
  } catch (e) {
    throw e instanceof KubeError ? e : new KubeError('kubeconfig', (e as Error).message);
  }
  return new KubeClient(loaded.kc, loaded.cluster.server, loaded.context.name, loaded.user);
}

/** An endpoint given by URL, bearer token and CA (PEM; several concatenated are all trusted). */
export function endpointClient(o: { url: string; token: string; caPem?: string | undefined; name?: string }): KubeClient {
  const kc = new KubeConfig();
  const name = o.name ?? 'watchscope';
  kc.loadFromOptions({
    clusters: [{ name, server: o.url, skipTLSVerify: false, ...(o.caPem ? { caData: Buffer.from(o.caPem).toString('base64') } : {}) }],
    users: [{ name, token: o.token }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return new KubeClient(kc, o.url, name, kc.getCurrentUser());
}
