// Imported first by the handler tests: the environment Lambda gives the function before the
// handler module loads (the logger reads its service name then). In dev mode Powertools
// writes through the global console, which the tests capture.
import { FUNCTION_ENV } from "./factories";

Object.assign(process.env, FUNCTION_ENV);
process.env.POWERTOOLS_DEV = "true";
process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
