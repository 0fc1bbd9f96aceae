import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiClient, ApiEvent } from '../shared/api';

// The preload runs sandboxed: it may require only 'electron', so it imports nothing else at
// run time (the type import above is erased). The channel names are copies of IPC_CALL,
// IPC_EVENT, IPC_EXPORT and IPC_NOTIFY in shared/api.ts; test/unit/ipc.test.ts fails if they
// drift or if the compiled preload ever requires anything but 'electron'.
const IPC_CALL = 'lifecycle-desk:call';
const IPC_EVENT = 'lifecycle-desk:event';
const IPC_EXPORT = 'lifecycle-desk:export';
const IPC_NOTIFY = 'lifecycle-desk:notify';

// Exactly the ApiClient interface: no raw ipcRenderer, no other channel, no Node API.
const bridge: ApiClient = {
  call: (method, args) => ipcRenderer.invoke(IPC_CALL, method, args),
  // Main shows the save dialog and writes the file: the renderer never touches the disk.
  exportRows: (request) => ipcRenderer.invoke(IPC_EXPORT, request),
  // Main shows the notification (and checks the notice): the renderer's own Notification stays denied.
  notify: (notice) => ipcRenderer.invoke(IPC_NOTIFY, notice),
  onEvent(listener) {
    const handler = (_event: IpcRendererEvent, payload: ApiEvent): void => listener(payload);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
};

contextBridge.exposeInMainWorld('lifecycleDesk', bridge);
