import { nodeFiles } from './node-files.js';
import { RemoteWorkspace as PortableRemoteWorkspace, type RemoteWorkspaceOptions } from './remote-workspace.js';

/**
 * The root entry's `RemoteWorkspace`: the portable one (`@agentworkspace/sdk/remote`) with local paths read and
 * written through node:fs unless `localFiles` says otherwise. Instances are `instanceof` both.
 */
export class RemoteWorkspace extends PortableRemoteWorkspace {
  constructor(options: RemoteWorkspaceOptions) {
    super({ ...options, localFiles: options.localFiles ?? nodeFiles });
  }
}
