/**
 * Test helpers for people building on Latchkey: the store conformance suite (run it against your
 * own store to prove it keeps the contract) and a sample record factory.
 */
export { sampleRecord, storeConformance } from './conformance.js';
export type { ConformanceOptions } from './conformance.js';
