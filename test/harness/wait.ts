// The tests wait the way the local environment does.
export { waitFor, type WaitOptions } from '../../src/local-cluster/wait.ts';
