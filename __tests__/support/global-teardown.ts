import { teardownSynthCache } from "./synth-cache";

export default teardownSynthCache;
