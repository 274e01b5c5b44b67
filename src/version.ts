/** Name and version reported as the instrumentation scope; a test keeps them equal to package.json. */
export const PACKAGE_NAME = '@budecosystem/instrumentation-responses';
export const PACKAGE_VERSION = '0.1.0';
