// Runs in the sandboxed renderer before the page. It exposes exactly one object, `watchscope`,
// whose members are the contract's named methods and subscriptions; the page never sees
// ipcRenderer or a generic invoke(channel), so it can only ask what the contract allows.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createServiceClient, type Envelope } from '../shared/ipc.js';

const api = createServiceClient({
  call: (channel, arg) => ipcRenderer.invoke(channel, arg) as Promise<Envelope>,
  subscribe(channel, fn) {
    const listener = (_e: IpcRendererEvent, payload: unknown) => fn(payload);
    ipcRenderer.on(channel, listener);
    return () => {
      ipcRenderer.removeListener(channel, listener);
    };
  },
});

contextBridge.exposeInMainWorld('watchscope', api);
