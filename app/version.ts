/** Kept equal to package.json's version (checked by test/version.test.ts); no JSON import so every bundler agrees. */
export const APP_VERSION = "0.1.0";
