import { setupSynthCache } from "./synth-cache";

export default setupSynthCache;
