/**
 * The project's root folder, ending in a separator as before, so that `startsWith(PROJECT_ROOT)` never takes
 * a neighbour whose name merely begins the same (`/work/lesson-old`) for a path inside it. The one definition
 * for scripts and tests alike: a CommonJS file (.ts, as wait-until.ts), which the ES modules (.mts) import
 * and the test helpers written as CommonJS can require, where project-paths.mts cannot be.
 */
import * as path from 'node:path';

// From __filename: tsx gives a CommonJS file loaded by an ES module a __dirname of "data:text" (tsx 4.23).
export const PROJECT_ROOT = path.resolve(path.dirname(__filename), '..', '..') + path.sep;
