// A program that starts a DockerWorkspace and never closes it: docker-workspace.test.ts SIGKILLs it and shows the
// next create reaps its container. Prints {"containerId": …} once the server is ready. Env: DOCKER_HOST, IMAGE.
import { DockerWorkspace } from '../../../sdk/src/docker.js';

const workspace = await DockerWorkspace.create({ image: process.env.IMAGE });
console.log(JSON.stringify({ containerId: workspace.containerId }));
setInterval(() => {}, 60_000);
